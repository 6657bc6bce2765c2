"""A job as the user builds it: scenes from a folder, a list or a job file, plus options, checked locally.

`Job` holds the job document (the same JSON the S3 trigger and the Plan Lambda read, see
`cloudburst.models.job.JobSpec`) with each local input replaced by a key relative to the job's folder, and a
map from those keys to the files on this machine. `submit` uploads the files and swaps the keys for `s3://`
URIs, so what the state machine receives is an ordinary job. Nothing here talks to AWS.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cloudburst.client.checks import InputFacts, InputProblem, check_input
from cloudburst.client.errors import InvalidJob
from cloudburst.client.scan import scan_folder
from cloudburst.models.errors import FieldProblem, field_problems
from cloudburst.models.job import JobSpec
from cloudburst.models.job import _deep_merge as deep_merge  # the merge JobSpec applies to scene overrides

JOB_FILE_NAME = "job.json"
"""A folder holding this file is a job: its scenes (or, if it lists none, the folder's scenes) and options."""

SCENE_INPUT_ROLES = ("image", "audio", "subtitles", "watermark")
OPTION_SECTIONS = ("render", "batching", "compute", "output", "notify")

PathLike = str | os.PathLike[str]
Options = Mapping[str, Any] | BaseModel


@dataclass(frozen=True)
class Scene:
    """One scene as the user names it: local paths (or `s3://` URIs) and optional per-scene settings."""

    name: str
    image: PathLike
    audio: PathLike
    subtitles: PathLike | None = None
    watermark: PathLike | None = None
    effect: str | None = None
    render: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class JobFile:
    """The job file a job was read from, and its document as written there: a schema problem in a value the
    file holds names the file (options from elsewhere, such as the command line, may be merged over it)."""

    path: Path
    document: dict[str, Any]


@dataclass(frozen=True)
class Inspection:
    """The outcome of the local checks: every problem found, and what the planner needs from valid inputs."""

    problems: list[str]
    audio_seconds: dict[str, float] = field(default_factory=dict)
    input_bytes: int = 0
    audio_estimates: dict[str, str] = field(default_factory=dict)
    """Scenes whose audio length is only estimated from the headers, and why (the renderer measures them)."""

    @property
    def ok(self) -> bool:
        return not self.problems


class Job:
    """A job ready to validate, plan or submit. Build it with `from_folder`, `from_scenes`, `from_file` or
    `load` (which picks one of those for a path); change options with `with_options`."""

    def __init__(
        self,
        document: Mapping[str, Any],
        files: Mapping[str, Path] | None = None,
        *,
        origin: str = "",
        problems: Sequence[str] = (),
        source: JobFile | None = None,
    ) -> None:
        self._document = copy.deepcopy(dict(document))
        self._files = dict(files or {})
        self._problems = list(problems)
        self._source = source
        self.origin = origin

    # -- building -------------------------------------------------------------------------------------------

    @classmethod
    def from_scenes(
        cls,
        scenes: Iterable[Scene | Mapping[str, Any]],
        *,
        name: str | None = None,
        watermark: PathLike | None = None,
        base_dir: PathLike | None = None,
        render: Options | None = None,
        batching: Options | None = None,
        compute: Options | None = None,
        output: Options | None = None,
        notify: Options | None = None,
    ) -> Job:
        """A job from scenes given one by one; relative paths are relative to `base_dir` (default: here)."""
        refs = _LocalRefs(Path(base_dir) if base_dir is not None else Path.cwd())
        documents = []
        for scene in scenes:
            item = scene if isinstance(scene, Scene) else Scene(**dict(scene))
            document: dict[str, Any] = {"name": item.name}
            for role in SCENE_INPUT_ROLES:
                value = getattr(item, role)
                if value is not None:
                    document[role] = refs.ref_for(value)
            if item.effect is not None:
                document["effect"] = item.effect
            if item.render is not None:
                document["render"] = dict(item.render)
            documents.append(document)
        job: dict[str, Any] = {"version": 1, "scenes": documents}
        if name is not None:
            job["name"] = name
        if watermark is not None:
            job["watermark"] = refs.ref_for(watermark)
        origin = f"{len(documents)} scenes"
        return cls(job, refs.files, origin=origin).with_options(
            render=render, batching=batching, compute=compute, output=output, notify=notify
        )

    @classmethod
    def from_folder(cls, folder: PathLike, *, name: str | None = None, **options: Options | None) -> Job:
        """Scenes found in `folder` (`images/` + `audio/`, or same-stem files side by side, see `scan`)."""
        path = Path(folder)
        scan = scan_folder(path)
        scenes = [
            Scene(s.name, s.image.resolve(), s.audio.resolve(), s.subtitles.resolve() if s.subtitles else None)
            for s in scan.scenes
        ]
        job = cls.from_scenes(scenes, name=name or default_job_name(path), base_dir=path, **_checked(options))
        return cls(job._document, job._files, origin=str(path), problems=scan.problems)

    @classmethod
    def from_file(cls, path: PathLike) -> Job:
        """A job document (JSON); relative inputs are relative to its folder. Without `scenes`, the folder's
        scenes are used (so a `job.json` may hold just the options)."""
        job_file = Path(path)
        try:
            document = json.loads(job_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidJob([f"{job_file}: no such file"]) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidJob([f"{job_file}: not a readable JSON job ({exc})"]) from None
        if not isinstance(document, dict):
            raise InvalidJob([f"{job_file}: a job is a JSON object, not {type(document).__name__}"])
        folder = job_file.parent
        source = JobFile(job_file, copy.deepcopy(document))
        if "scenes" not in document:
            scanned = cls.from_folder(folder, name=document.get("name") or default_job_name(folder))
            merged = deep_merge(scanned._document, document)
            return cls(merged, scanned._files, origin=str(job_file), problems=scanned._problems, source=source)
        files = {ref: folder / ref for ref in _relative_refs(document) if _is_plain_relative(ref)}
        return cls(document, files, origin=str(job_file), source=source)

    @classmethod
    def load(cls, path: PathLike, **options: Options | None) -> Job:
        """A job from a path: a job file, a folder with a `job.json`, or a folder of scenes."""
        target = Path(path)
        if target.is_dir() and (target / JOB_FILE_NAME).is_file():
            job = cls.from_file(target / JOB_FILE_NAME)
        elif target.is_dir():
            job = cls.from_folder(target)
        elif target.is_file():
            job = cls.from_file(target)
        else:
            raise InvalidJob([f"{target}: no such job file or folder"], "Give a folder of scenes or a job JSON file.")
        return job.with_options(**_checked(options))

    def with_options(
        self,
        *,
        name: str | None = None,
        render: Options | None = None,
        batching: Options | None = None,
        compute: Options | None = None,
        output: Options | None = None,
        notify: Options | None = None,
    ) -> Job:
        """A copy with these options merged over the current ones (nested fields are merged, not replaced)."""
        document = copy.deepcopy(self._document)
        if name is not None:
            document["name"] = name
        for section, value in zip(OPTION_SECTIONS, (render, batching, compute, output, notify), strict=True):
            if value is None:
                continue
            given = value.model_dump(mode="json", exclude_unset=True) if isinstance(value, BaseModel) else dict(value)
            current = document.get(section)
            document[section] = deep_merge(current, given) if isinstance(current, dict) else given
        return Job(document, self._files, origin=self.origin, problems=self._problems, source=self._source)

    # -- reading --------------------------------------------------------------------------------------------

    @property
    def document(self) -> dict[str, Any]:
        """The job document with local inputs as relative keys (a copy)."""
        return copy.deepcopy(self._document)

    @property
    def name(self) -> str | None:
        name = self._document.get("name")
        return name if isinstance(name, str) else None

    @property
    def local_files(self) -> dict[str, Path]:
        """Local inputs by the key that stands for them in the document."""
        return dict(self._files)

    @property
    def scene_count(self) -> int:
        scenes = self._document.get("scenes")
        return len(scenes) if isinstance(scenes, list) else 0

    def remote_inputs(self) -> list[tuple[str, str]]:
        """(field path, URI) of every input given as an `s3://` URI (checked by the Plan Lambda, not here)."""
        found = []
        for index, scene in enumerate(_scene_documents(self._document)):
            for role in SCENE_INPUT_ROLES:
                ref = scene.get(role)
                if isinstance(ref, str) and ref.startswith("s3://"):
                    found.append((f"scenes[{index}].{role}", ref))
        ref = self._document.get("watermark")
        if isinstance(ref, str) and ref.startswith("s3://"):
            found.append(("watermark", ref))
        return found

    def spec(self) -> JobSpec:
        """The job as the schema sees it (inputs still as local keys); `InvalidJob` names every schema problem."""
        if self._problems:
            raise InvalidJob(self._problems + self._schema_problems())
        try:
            return JobSpec.model_validate(self._document)
        except ValidationError as exc:
            raise InvalidJob(self._described(exc)) from None

    def inspect(self, *, workers: int = 8) -> Inspection:
        """Every problem with the job: how it was found, the schema, and each local input's type, readability,
        size and audio length. Remote (`s3://`) inputs are left to the Plan Lambda."""
        problems = self._problems + self._schema_problems()
        uses = list(self._local_input_uses())
        unique_paths = sorted({(path, role) for _, role, path in uses}, key=lambda item: (str(item[0]), item[1]))
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            outcomes = dict(zip(unique_paths, pool.map(_check_quietly, unique_paths), strict=True))
        audio_seconds: dict[str, float] = {}
        audio_estimates: dict[str, str] = {}
        total_bytes = 0
        counted: set[Path] = set()
        for where, role, path in uses:
            outcome = outcomes[(path, role)]
            if isinstance(outcome, InputProblem):
                problems.append(f"{where}.{role}: {outcome}" if where else f"{role}: {outcome}")
                continue
            if path not in counted:
                counted.add(path)
                total_bytes += outcome.size_bytes
            if role == "audio" and outcome.audio_seconds is not None and where:
                audio_seconds[_scene_name(where)] = outcome.audio_seconds
                if outcome.audio_estimate:
                    audio_estimates[_scene_name(where)] = outcome.audio_estimate
        return Inspection(problems, audio_seconds, total_bytes, audio_estimates)

    def validate(self) -> Inspection:
        """`inspect`, raising `InvalidJob` when anything is wrong."""
        inspection = self.inspect()
        if inspection.problems:
            raise InvalidJob(inspection.problems)
        return inspection

    def resolve(self, uris: Mapping[str, str]) -> JobSpec:
        """The job with each local input key replaced by its uploaded `s3://` URI (`uris`: key → URI)."""
        missing = sorted(set(self._files) - set(uris))
        if missing:
            raise InvalidJob([f"{ref}: not uploaded" for ref in missing])
        document = copy.deepcopy(self._document)
        for holder, role in _input_slots(document):
            ref = holder[role]
            if isinstance(ref, str) and ref in uris:
                holder[role] = uris[ref]
        try:
            return JobSpec.model_validate(document)
        except ValidationError as exc:
            raise InvalidJob(self._described(exc)) from None

    # -- internals ------------------------------------------------------------------------------------------

    def _schema_problems(self) -> list[str]:
        try:
            JobSpec.model_validate(self._document)
        except ValidationError as exc:
            return self._described(exc)
        return []

    def _described(self, exc: ValidationError) -> list[str]:
        """The schema's problems as users should read them: a value written in the job file names the file,
        and an empty scene list goes unsaid when the folder scan has already said why it is empty."""
        described = []
        for problem in field_problems(exc, JobSpec):
            if self._problems and problem.loc == ("scenes",) and problem.kind == "too_short":
                continue
            written = self._source is not None and _written_in(self._source.document, self._document, problem)
            described.append(f"{self._source.path}: {problem}" if written and self._source else str(problem))
        return described

    def _local_input_uses(self) -> Iterable[tuple[str, str, Path]]:
        """(where, role, local path) per local input; where is `scenes[i] (name)`, or '' for the job's own."""
        for index, scene in enumerate(_scene_documents(self._document)):
            where = f"scenes[{index}] ({scene.get('name')})"
            for role in SCENE_INPUT_ROLES:
                ref = scene.get(role)
                if isinstance(ref, str) and ref in self._files:
                    yield where, role, self._files[ref]
        ref = self._document.get("watermark")
        if isinstance(ref, str) and ref in self._files:
            yield "", "watermark", self._files[ref]

    def __repr__(self) -> str:
        return f"Job(name={self.name!r}, scenes={self.scene_count}, origin={self.origin!r})"


def default_job_name(folder: Path) -> str | None:
    """A job name from a folder name, reduced to the characters job names allow."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-.")[:64]
    return cleaned or None


class _LocalRefs:
    """Gives each distinct local file a key: its path relative to the base folder, or `external/<n>/<name>`."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir.resolve()
        self.files: dict[str, Path] = {}
        self._by_path: dict[Path, str] = {}

    def ref_for(self, value: PathLike) -> str:
        text = os.fspath(value)
        if text.startswith("s3://"):
            return text
        path = Path(text)
        resolved = (path if path.is_absolute() else self.base_dir / path).resolve()
        if resolved in self._by_path:
            return self._by_path[resolved]
        try:
            ref = resolved.relative_to(self.base_dir).as_posix()
        except ValueError:
            ref = f"external/{len(self._by_path)}/{resolved.name}"
        self._by_path[resolved] = ref
        self.files[ref] = resolved
        return ref


def _written_in(written: Mapping[str, Any], document: Mapping[str, Any], problem: FieldProblem) -> bool:
    """Whether the job file wrote what `problem` is about: the value itself (as the job holds it), or, for a
    missing field, the object that lacks it."""
    if problem.kind == "missing":
        return bool(problem.loc) and _value_at(written, problem.loc[:-1]) is not _ABSENT
    found = _value_at(written, problem.loc)
    return bool(problem.loc) and found is not _ABSENT and found == _value_at(document, problem.loc)


_ABSENT = object()


def _value_at(document: Any, loc: Sequence[int | str]) -> Any:
    node = document
    for part in loc:
        in_object = isinstance(node, dict) and isinstance(part, str) and part in node
        in_array = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_object or in_array):
            return _ABSENT
        node = node[part]
    return node


def _scene_documents(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    scenes = document.get("scenes")
    return [scene for scene in scenes if isinstance(scene, dict)] if isinstance(scenes, list) else []


def _input_slots(document: dict[str, Any]) -> Iterable[tuple[dict[str, Any], str]]:
    """(mapping, key) of every input reference in a job document, so callers can read or replace it."""
    for scene in _scene_documents(document):
        for role in SCENE_INPUT_ROLES:
            if role in scene:
                yield scene, role
    if "watermark" in document:
        yield document, "watermark"


def _relative_refs(document: dict[str, Any]) -> list[str]:
    return [
        ref
        for holder, role in _input_slots(document)
        if isinstance(ref := holder[role], str) and not ref.startswith("s3://")
    ]


def _is_plain_relative(ref: str) -> bool:
    """A key that stays inside the job's folder (the schema refuses the others, with a message)."""
    return "://" not in ref and not ref.startswith("/") and all(p not in ("", ".", "..") for p in ref.split("/"))


def _scene_name(where: str) -> str:
    match = re.match(r"^scenes\[\d+\] \((?P<name>.*)\)$", where)
    return match["name"] if match else where


def _check_quietly(item: tuple[Path, str]) -> InputFacts | InputProblem:
    path, role = item
    try:
        return check_input(_as_given(path), role)
    except InputProblem as exc:
        return exc


def _as_given(path: Path) -> Path:
    """The path relative to the working folder when it is inside it: how users name their files."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _checked(options: Mapping[str, Options | None]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTION_SECTIONS) - {"name"})
    if unknown:
        raise TypeError(f"unknown job option(s): {', '.join(unknown)}; expected one of {', '.join(OPTION_SECTIONS)}")
    return dict(options)
