"""The media pipeline: one scene (image, audio, subtitles, watermark) to one MP4, in one ffmpeg encode."""
