//! Local emulator of the DeepMotion and MotionDynamic services, for offline
//! development and for continuous integration.
