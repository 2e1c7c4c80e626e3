//! Feeds arbitrary bytes to every circuit front-end: OpenQASM (2 and 3) and
//! Arvak IR JSON. Any panic is a bug; errors are expected.
#![no_main]

use arvak_grpc::adapters::circuit::StandardFrontend;
use arvak_grpc::domain::{CircuitFormat, CircuitSource};
use arvak_grpc::ports::CircuitFrontend;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for format in [CircuitFormat::OpenQasm, CircuitFormat::ArvakIrJson] {
        let source = CircuitSource {
            format,
            text: text.clone(),
        };
        let _ = StandardFrontend.parse(&source);
    }
});
