//! The current call's method and request id on every log line written
//! inside the call. They come from the call's task-local (`with_origin`),
//! read only when a line is actually written: a span per call would carry
//! them too, but costs every call its allocation and formatting even when
//! nothing is logged.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::ports::with_current_call;

/// Console lines: `… message fields method=SubmitJob request_id=…`. Wraps the
/// field formatter, so the line keeps its colours.
#[derive(Debug, Default)]
pub struct ConsoleCallFields<N>(pub N);

impl<'w, N> FormatFields<'w> for ConsoleCallFields<N>
where
    N: for<'a> FormatFields<'a>,
{
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        self.0.format_fields(writer.by_ref(), fields)?;
        with_current_call(|call| match call {
            Some((method, request_id)) => {
                write!(writer, " method={method} request_id={request_id}")
            }
            None => Ok(()),
        })
    }
}

/// JSON lines: `"method"` and `"request_id"` as top-level keys of the
/// (flattened) event object.
#[derive(Debug)]
pub struct JsonCallFields<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for JsonCallFields<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(extra) = with_current_call(|call| call.map(json_members)) else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let object = line.trim_end();
        match object.strip_suffix('}') {
            Some(open) => writeln!(writer, "{open},{extra}}}"),
            // Not an object after all: written as it came.
            None => writeln!(writer, "{object}"),
        }
    }
}

fn json_members((method, request_id): (&str, &str)) -> String {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    format!(
        "\"method\":{},\"request_id\":{}",
        quoted(method),
        quoted(request_id)
    )
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;
    use tracing_subscriber::fmt::format::DefaultFields;

    use super::*;
    use crate::ports::{CallOrigin, with_origin};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines().map(str::to_owned).collect()
        }
    }

    fn origin() -> CallOrigin {
        CallOrigin {
            method: "SubmitJob",
            request_id: Some("r-\"1\"".to_owned()),
            peer: None,
        }
    }

    /// One line outside a call, one inside, under `subscriber`.
    async fn log_twice(subscriber: impl Subscriber + Send + Sync + 'static) {
        let _guard = tracing::subscriber::set_default(subscriber);
        tracing::warn!(n = 1, "outside");
        with_origin(origin(), async { tracing::warn!(n = 2, "inside") }).await;
    }

    #[tokio::test]
    async fn json_lines_inside_a_call_get_its_method_and_request_id() {
        let out = Captured::default();
        let format = tracing_subscriber::fmt::format().json().flatten_event(true);
        let subscriber = tracing_subscriber::fmt()
            .event_format(JsonCallFields(format))
            .with_writer(out.clone())
            .finish();
        log_twice(subscriber).await;
        let lines: Vec<serde_json::Value> = out
            .lines()
            .iter()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].get("request_id"), None);
        assert_eq!(lines[1]["message"], "inside");
        assert_eq!(lines[1]["n"], 2);
        assert_eq!(lines[1]["method"], "SubmitJob");
        assert_eq!(lines[1]["request_id"], "r-\"1\"");
    }

    #[tokio::test]
    async fn console_lines_inside_a_call_end_with_its_method_and_request_id() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(ConsoleCallFields(DefaultFields::new()))
            .with_ansi(false)
            .with_writer(out.clone())
            .finish();
        log_twice(subscriber).await;
        let lines = out.lines();
        assert!(lines[0].ends_with("outside n=1"), "{lines:?}");
        assert!(
            lines[1].ends_with("inside n=2 method=SubmitJob request_id=r-\"1\""),
            "{lines:?}"
        );
    }
}
