"""Drop-in replacements for other vendors' Python SDKs, on motionkit's engine.

- :mod:`motionkit.compat.animate3d`: DeepMotion's official Animate 3D SDK
  (``dm-animate3d-api`` 1.0.2, ``import dm.animate3d``). Change
  ``from dm.animate3d import ...`` to
  ``from motionkit.compat.animate3d import ...`` and nothing else.

The modules here only translate shapes (arguments, return values,
callbacks, exceptions) to and from the public motionkit API
(:mod:`motionkit.deepmotion`); every request, check, wait and transfer is
the engine's.
"""
