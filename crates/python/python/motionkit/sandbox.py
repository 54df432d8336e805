"""The embedded sandbox: both services emulated on 127.0.0.1, for tests.

>>> import motionkit
>>> with motionkit.Sandbox() as sandbox:
...     client = sandbox.deepmotion_client()
...     print(client.credits())

It works as a pytest fixture::

    @pytest.fixture
    def sandbox():
        with motionkit.Sandbox() as s:
            yield s
"""

from __future__ import annotations

from types import TracebackType
from typing import Optional, Type

from motionkit import _native, deepmotion, motiondynamic

__all__ = ["Sandbox"]


class Sandbox:
    """Runs the emulator of both services until :meth:`close` (or the end
    of a ``with`` block). ``time_scale`` runs jobs and renders that many
    times faster than real time."""

    def __init__(self, time_scale: float = 600.0) -> None:
        self._native = _native.Sandbox(time_scale)

    @property
    def deepmotion_url(self) -> str:
        """DeepMotion's base URL."""
        return str(self._native.deepmotion_url)

    @property
    def motiondynamic_url(self) -> str:
        """MotionDynamic's base URL."""
        return str(self._native.motiondynamic_url)

    @property
    def client_id(self) -> str:
        """The DeepMotion client id the sandbox accepts."""
        return str(self._native.client_id)

    @property
    def client_secret(self) -> str:
        """The DeepMotion client secret the sandbox accepts."""
        return str(self._native.client_secret)

    @property
    def motiondynamic_token(self) -> str:
        """A MotionDynamic token the sandbox accepts for a day."""
        return str(self._native.motiondynamic_token)

    def picture_url(self, width: int, height: int) -> str:
        """A PNG picture of ``width`` x ``height`` the sandbox serves."""
        return str(self._native.picture_url(width, height))

    def deepmotion_client(self) -> deepmotion.Client:
        """A DeepMotion client for this sandbox."""
        return deepmotion.Client(
            self.deepmotion_url, self.client_id, self.client_secret, sandbox_waits=True
        )

    def deepmotion_async_client(self) -> deepmotion.AsyncClient:
        """An asyncio DeepMotion client for this sandbox."""
        return deepmotion.AsyncClient(
            self.deepmotion_url, self.client_id, self.client_secret, sandbox_waits=True
        )

    def motiondynamic_client(self) -> motiondynamic.Client:
        """A MotionDynamic client for this sandbox, with a webhook receiver
        of its own on 127.0.0.1."""
        return motiondynamic.Client(self.motiondynamic_url, self.motiondynamic_token, sandbox_waits=True)

    def motiondynamic_async_client(self) -> motiondynamic.AsyncClient:
        """An asyncio MotionDynamic client for this sandbox."""
        return motiondynamic.AsyncClient(
            self.motiondynamic_url, self.motiondynamic_token, sandbox_waits=True
        )

    def close(self) -> None:
        """Stops both emulators."""
        self._native.shutdown()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox(deepmotion_url={self.deepmotion_url!r}, motiondynamic_url={self.motiondynamic_url!r})"
