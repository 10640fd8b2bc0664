"""MediaConvert, which moto lacks: jobs (``service.py``) rendered with ffmpeg
(``render.py``)."""
