//! `motionkit-sandbox`: runs the local emulators.

fn main() {
    eprintln!("motionkit-sandbox: the emulators are not built yet");
    std::process::exit(2);
}
