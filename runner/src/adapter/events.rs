//! Reading an adapter's JSON event lines (`runner/ADAPTERS.md` §3): the message a line logs,
//! why a refused module was refused, and the HTTP exchanges the host reported.

use conformance_guests::effects::Exchanges;
use proxy_wasm_interchange::protocol::{Exchange, HttpMessage};
use serde_json::{Map, Value};

/// A line's event object, if it is one.
fn event(line: &str) -> Option<Map<String, Value>> {
    if !line.starts_with('{') {
        return None;
    }
    match serde_json::from_str(line) {
        Ok(Value::Object(event)) if event.get("event").is_some_and(Value::is_string) => Some(event),
        _ => None,
    }
}

/// The message of a `refused` event line.
pub(crate) fn refused_message(line: &str) -> Option<String> {
    let event = event(line)?;
    match (event.get("event"), event.get("message")) {
        (Some(Value::String(kind)), Some(Value::String(message))) if kind == "refused" => {
            Some(message.clone())
        }
        _ => None,
    }
}

/// A JSON event line's message, or the line itself.
pub(crate) fn log_text(line: &str) -> String {
    match event(line).as_ref().and_then(|e| e.get("message")) {
        Some(Value::String(message)) => message.clone(),
        _ => line.to_string(),
    }
}

/// The `upstream_request` and `http_response` events among `lines`; an event of either kind
/// that cannot be read is kept as a reason in [`Exchanges::unreadable`], never dropped.
pub(crate) fn exchanges(lines: &[String]) -> Exchanges {
    let mut out = Exchanges::default();
    for (n, line) in lines.iter().enumerate() {
        let Some(event) = event(line) else { continue };
        let kind = event.get("event").and_then(Value::as_str).unwrap_or("");
        let into = match kind {
            "upstream_request" => &mut out.upstream,
            "http_response" => &mut out.responses,
            _ => continue,
        };
        match message(&event) {
            Ok(m) => into.push(m),
            Err(why) => out
                .unreadable
                .push(format!("line {} (`{kind}` event): {why}", n + 1)),
        }
    }
    out
}

/// An exchange event's message; every field may be left out.
fn message(event: &Map<String, Value>) -> Result<HttpMessage, String> {
    serde_json::from_value::<Exchange>(Value::Object(event.clone()))
        .map(|e| e.message)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(all: &[&str]) -> Vec<String> {
        all.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn exchanges_are_read_and_other_lines_ignored() {
        let seen = exchanges(&lines(&[
            "plain log line",
            r#"{"event":"log","message":"pwtck:1 END x"}"#,
            r#"{"event":"upstream_request","context":2,"headers":[["x-a","1"]],"body":"b"}"#,
            r#"{"event":"http_response","status":403,"headers":[],"body":"denied"}"#,
            r#"{"event":"http_response"}"#,
            r#"{"no_event":1}"#,
        ]));
        assert_eq!(seen.upstream.len(), 1);
        assert_eq!(seen.upstream[0].headers, vec![("x-a".into(), "1".into())]);
        assert_eq!(seen.responses.len(), 2);
        assert_eq!(seen.responses[0].status, Some(403));
        assert_eq!(seen.responses[1], HttpMessage::default());
        assert!(seen.unreadable.is_empty());
    }

    #[test]
    fn a_garbled_exchange_is_kept_as_unreadable_with_its_line() {
        let seen = exchanges(&lines(&[
            r#"{"event":"http_response","status":"403"}"#,
            r#"{"event":"upstream_request","headers":[["x",1]]}"#,
            r#"{"event":"upstream_request","body":7}"#,
        ]));
        assert!(seen.responses.is_empty() && seen.upstream.is_empty());
        assert_eq!(seen.unreadable.len(), 3, "{:?}", seen.unreadable);
        assert!(
            seen.unreadable[0].starts_with("line 1 (`http_response` event): invalid type: string"),
            "{:?}",
            seen.unreadable
        );
        assert!(seen.unreadable[2].contains("expected a UTF-8 string"));
    }

    #[test]
    fn messages_come_from_event_lines_only() {
        assert_eq!(log_text(r#"{"event":"log","message":"hi"}"#), "hi");
        assert_eq!(log_text(r#"{"message":"hi"}"#), r#"{"message":"hi"}"#);
        assert_eq!(
            refused_message(r#"{"event":"refused","message":"no"}"#).as_deref(),
            Some("no")
        );
        assert_eq!(refused_message(r#"{"event":"log","message":"no"}"#), None);
    }
}
