"""What DeepMotion's blocking and asyncio clients share: settings, and the
arguments each operation sends to the engine."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from motionkit import _native
from motionkit._call import construct
from motionkit._dm_models import Detection
from motionkit.validation import Params, params_json

PathLike = Union[str, "os.PathLike[str]"]


def process_params(formats: Optional[Sequence[str]], params: Optional[Params], extra: Mapping[str, Any]) -> Any:
    """``formats`` and keywords merged into one parameter set."""
    merged: Any = params_json(params)
    more: Dict[str, Any] = dict(params_json(extra))
    if formats is not None:
        more["formats"] = list(formats)
    if isinstance(merged, list):
        return merged + [f"{k}={v}" for k, v in wire_texts(more).items()]
    merged.update(more)
    return merged


def wire_texts(values: Mapping[str, Any]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def animate_args(
    video: PathLike,
    out_dir: PathLike,
    formats: Optional[Sequence[str]],
    params: Optional[Params],
    force: bool,
    unzip: bool,
    on_existing: str,
    timeout: Optional[float],
    keywords: Mapping[str, Any],
) -> Dict[str, Any]:
    return {
        "video": os.fspath(video),
        "out_dir": os.fspath(out_dir),
        "params": process_params(formats, params, keywords),
        "force": force,
        "unzip": unzip,
        "on_existing": on_existing,
        "timeout": timeout,
    }


def people_args(
    detection: Union[str, Detection],
    people: Mapping[str, str],
    formats: Optional[Sequence[str]],
    params: Optional[Params],
    force: bool,
    keywords: Mapping[str, Any],
) -> Dict[str, Any]:
    return {
        "detection": detection.rid if isinstance(detection, Detection) else detection,
        "people": [[k, v] for k, v in people.items()],
        "params": process_params(formats, params, keywords),
        "force": force,
    }


def download_url_args(url: str, out_dir: PathLike, file_name: Optional[str], on_existing: str) -> Dict[str, Any]:
    return {"url": url, "out_dir": os.fspath(out_dir), "file_name": file_name, "on_existing": on_existing}


def model_args(path: PathLike, thumbnail: Optional[PathLike]) -> Dict[str, Any]:
    return {"path": os.fspath(path), "thumbnail": os.fspath(thumbnail) if thumbnail else None}


def store_args(
    model_url: str, name: Optional[str], thumb_url: Optional[str], create_thumb: bool, model_id: Optional[str]
) -> Dict[str, Any]:
    return {
        "model_url": model_url,
        "name": name,
        "thumb_url": thumb_url,
        "create_thumb": create_thumb,
        "model_id": model_id,
    }


def detect_args(video: PathLike, previews: Optional[PathLike], timeout: Optional[float]) -> Dict[str, Any]:
    return {"video": os.fspath(video), "previews": os.fspath(previews) if previews else None, "timeout": timeout}


def rid_list(rids: Union[str, Iterable[str]]) -> List[str]:
    return [rids] if isinstance(rids, str) else [str(r) for r in rids]


class Settings:
    """What both clients are made from."""

    def __init__(
        self,
        url: Optional[str],
        client_id: Optional[str],
        client_secret: Optional[str],
        config: Optional[PathLike],
        profile: Optional[str],
        sandbox_waits: bool,
        timeout: Optional[float],
        proxy: Optional[str] = None,
    ) -> None:
        self._native = construct(
            _native.DeepMotion,
            url,
            client_id,
            client_secret,
            os.fspath(config) if config is not None else None,
            profile,
            sandbox_waits,
            timeout,
            proxy,
        )

    def set_client_secret(self, client_secret: str) -> None:
        """Replaces the client secret in place, for a rotated credential:
        the next login uses it, and the rate limit and its pause are kept.
        A process forked later starts from it too."""
        self._native.set_client_secret(client_secret)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(...)"


