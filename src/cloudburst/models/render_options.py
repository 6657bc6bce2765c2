"""How one scene is rendered: the options of the renderer's `POST /v1/renders` and of a job's `render` block.

One model serves both so that a job validated by the CLI or the Plan Lambda can never be refused later by a
container. Every field has a default that suits story, course and news videos; sizes are in output pixels.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from cloudburst.models.languages import LANGUAGE_PATTERN, checked_language

HexColor = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#FFFFFF"])]

MAX_OUTPUT_PIXELS = 3840 * 2160
"""Largest frame we render (4K UHD in either orientation); beyond it memory and time grow without purpose."""


class StrictModel(BaseModel):
    """Unknown fields are errors: a misspelt option must fail loudly, not be ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Effect(StrEnum):
    NONE = "none"
    ZOOM_IN = "zoom_in"
    ZOOM_OUT = "zoom_out"
    PAN_LEFT = "pan_left"
    PAN_RIGHT = "pan_right"
    KEN_BURNS = "ken_burns"
    RANDOM = "random"


class Easing(StrEnum):
    LINEAR = "linear"
    EASE_IN = "ease_in"
    EASE_OUT = "ease_out"
    EASE_IN_OUT = "ease_in_out"


class Orientation(StrEnum):
    AUTO = "auto"
    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


class Fit(StrEnum):
    COVER = "cover"  # fill the frame, cropping what overflows
    CONTAIN = "contain"  # show the whole image, padding with `background`


class SubtitlePosition(StrEnum):
    BOTTOM = "bottom"
    MIDDLE = "middle"
    TOP = "top"


class Corner(StrEnum):
    TOP_LEFT = "top_left"
    TOP_RIGHT = "top_right"
    BOTTOM_LEFT = "bottom_left"
    BOTTOM_RIGHT = "bottom_right"
    CENTER = "center"


class Preset(StrEnum):
    ULTRAFAST = "ultrafast"
    SUPERFAST = "superfast"
    VERYFAST = "veryfast"
    FASTER = "faster"
    FAST = "fast"
    MEDIUM = "medium"
    SLOW = "slow"
    SLOWER = "slower"
    VERYSLOW = "veryslow"


class SubtitleStyle(StrictModel):
    """Burned-in subtitle style. Sizes are output pixels (not ASS script units), so 48 means 48 px tall text."""

    language: Annotated[str, AfterValidator(checked_language)] = Field(
        default="auto",
        json_schema_extra={"pattern": LANGUAGE_PATTERN},  # checked by checked_language, which says what to write
        description="BCP 47 language of the cues (en, zh, zh-Hant, ja, ko...); chooses the font. "
        "'auto' detects CJK text.",
    )
    font: str | None = Field(default=None, max_length=100, description="Font family; default per language.")
    font_size: int | None = Field(
        default=None, ge=8, le=400, description="Text height in output pixels; default scales with the frame."
    )
    color: HexColor = "#FFFFFF"
    outline: float = Field(default=2.0, ge=0, le=20, description="Outline width in output pixels.")
    outline_color: HexColor = "#000000"
    box: bool = Field(default=False, description="Draw an opaque-or-translucent box behind each line.")
    box_color: HexColor = "#000000"
    box_opacity: float = Field(default=0.6, ge=0, le=1, description="1 is fully opaque, 0 invisible.")
    margin: int | None = Field(
        default=None, ge=0, le=2000, description="Distance from the frame edge in pixels; default scales."
    )
    position: SubtitlePosition = SubtitlePosition.BOTTOM
    bold: bool = False


class WatermarkOptions(StrictModel):
    """Placement of the watermark image, when a scene has one."""

    position: Corner = Corner.BOTTOM_RIGHT
    scale: float = Field(default=0.15, gt=0, le=1, description="Watermark width as a fraction of frame width.")
    margin: int | None = Field(default=None, ge=0, le=2000, description="Pixels from the edges; default 2%.")
    opacity: float = Field(default=1.0, ge=0, le=1)


class QualityOptions(StrictModel):
    preset: Preset = Field(default=Preset.VERYFAST, description="x264 preset: speed against compression.")
    crf: int = Field(default=23, ge=0, le=51, description="x264 constant rate factor: lower is better.")
    audio_bitrate_kbps: int = Field(default=160, ge=32, le=512)


class RenderOptions(StrictModel):
    """Everything that decides how one scene looks. Defaults give 1080p30 with no motion."""

    width: int | None = Field(default=None, ge=16, le=7680, description="Output width; even. Needs height.")
    height: int | None = Field(default=None, ge=16, le=7680, description="Output height; even. Needs width.")
    orientation: Orientation = Field(
        default=Orientation.AUTO,
        description="auto: 1080x1920 for portrait images, 1920x1080 otherwise. Ignored with width/height.",
    )
    fps: int = Field(default=30, ge=1, le=60)
    fit: Fit = Fit.COVER
    background: HexColor = Field(default="#000000", description="Padding colour for fit=contain.")
    effect: Effect = Effect.NONE
    strength: float = Field(
        default=0.15,
        ge=0,
        le=1,
        description="How far the motion goes: zoom of 1+strength, pan of that share.",
    )
    easing: Easing = Easing.EASE_IN_OUT
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1, description="Seeds effect=random (and ken_burns drift).")
    subtitles: SubtitleStyle = SubtitleStyle()
    watermark: WatermarkOptions = WatermarkOptions()
    quality: QualityOptions = QualityOptions()

    @model_validator(mode="after")
    def _explicit_size_is_whole_and_even(self) -> Self:
        """Errors carry the field they are about (a model validator's own errors would be located at the
        model, and the API, CLI and Plan Lambda would say 'options' instead of 'options.height')."""
        width, height = self.width, self.height
        problems: list[InitErrorDetails] = []
        if width is None and height is not None:
            problems.append(_problem("width", "width and height go together: give both or neither", width))
        elif height is None and width is not None:
            problems.append(_problem("height", "width and height go together: give both or neither", height))
        elif width is not None and height is not None:
            for name, value in (("width", width), ("height", height)):
                if value % 2:
                    message = f"{name} must be even (H.264 4:2:0 needs whole chroma samples)"
                    problems.append(_problem(name, message, value))
            if width * height > MAX_OUTPUT_PIXELS:
                name, value = ("width", width) if width >= height else ("height", height)
                message = f"width x height ({width}x{height}) must be at most {MAX_OUTPUT_PIXELS} pixels (4K UHD)"
                problems.append(_problem(name, message, value))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self


def _problem(field: str, message: str, value: int | None) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("value_error", message), loc=(field,), input=value)
