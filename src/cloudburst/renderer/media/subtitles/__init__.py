"""Burned-in subtitles: SRT/WebVTT parsing, timing to frames, fonts, wrapping, ASS, and libass rasterising."""
