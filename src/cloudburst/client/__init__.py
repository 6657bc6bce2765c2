"""The submit helper: build a job from a folder or a list of scenes, check it, upload its inputs, start it on
a deployed stack or the local cloud, follow it, download its videos and read its report."""
