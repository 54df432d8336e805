//! `motionkit`: the command line for DeepMotion and MotionDynamic.

fn main() {
    eprintln!("motionkit: no commands yet");
    std::process::exit(2);
}
