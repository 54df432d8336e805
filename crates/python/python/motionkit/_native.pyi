"""Type stubs of the native module (crates/python/src). Arguments and
answers cross as JSON text; motionkit's Python modules shape them."""

from typing import Callable, Optional

__version__: str

class NativeError(Exception):
    """A native failure; ``args[0]`` is its JSON."""

class Task:
    def cancel(self) -> None: ...

class DeepMotion:
    def __init__(
        self,
        url: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        config: Optional[str] = None,
        profile: Optional[str] = None,
        sandbox_waits: bool = False,
    ) -> None: ...
    def call(self, op: str, args: str, on_event: Optional[Callable[[str], None]] = None) -> str: ...
    def start(
        self,
        op: str,
        args: str,
        settle: Callable[[bool, str], None],
        on_event: Optional[Callable[[str], None]] = None,
    ) -> Task: ...

class MotionDynamic:
    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        config: Optional[str] = None,
        profile: Optional[str] = None,
        webhook_bind: Optional[str] = None,
        webhook_public_url: Optional[str] = None,
        sandbox_waits: bool = False,
        redis_url: Optional[str] = None,
    ) -> None: ...
    def call(self, op: str, args: str, on_event: Optional[Callable[[str], None]] = None) -> str: ...
    def start(
        self,
        op: str,
        args: str,
        settle: Callable[[bool, str], None],
        on_event: Optional[Callable[[str], None]] = None,
    ) -> Task: ...

class Sandbox:
    def __init__(self, time_scale: float = 600.0) -> None: ...
    @property
    def deepmotion_url(self) -> str: ...
    @property
    def motiondynamic_url(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> str: ...
    @property
    def motiondynamic_token(self) -> str: ...
    def picture_url(self, width: int, height: int) -> str: ...
    def shutdown(self) -> None: ...

def check_params(params: str, input: str = "video", duration: Optional[float] = None) -> str: ...
def check_values(theme: str, values: str) -> str: ...
