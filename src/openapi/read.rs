//! A spec's text to a JSON value: JSON, or YAML read through its event stream, so that no
//! input (deep nesting, an alias bomb, a bad document) panics or eats the memory.

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::SpecError;

/// The largest spec read: BlueXP's biggest public files are a few MiB.
pub const MAX_SPEC_BYTES: usize = 16 << 20;
/// How deep a YAML document may nest (`serde_json`'s own limit for JSON is 128).
const MAX_DEPTH: usize = 128;
/// How many values a YAML document may expand to, aliases counted at their full size.
const MAX_NODES: usize = 2_000_000;

/// Reads `text` as JSON when it starts like JSON, else as YAML (a superset of JSON).
pub fn parse(text: &str) -> Result<Value, SpecError> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge(text.len()));
    }
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|err| SpecError::Syntax(format!("JSON: {err}")));
    }
    yaml(text)
}

/// One open collection while the YAML events are read.
enum Open {
    Seq(Vec<Value>, usize),
    Map(Map<String, Value>, Option<String>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// Anchored values and their sizes in nodes.
    anchors: std::collections::HashMap<usize, (Value, usize)>,
    nodes: usize,
    done: Option<Value>,
}

impl Builder {
    fn count(&mut self, nodes: usize) -> Result<(), SpecError> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(SpecError::Syntax(
                "YAML: the document expands to over two million values (aliases counted)"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    fn open(&mut self, open: Open) -> Result<(), SpecError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(SpecError::Syntax(format!(
                "YAML: nested deeper than {MAX_DEPTH} levels"
            )));
        }
        self.count(1)?;
        self.stack.push(open);
        Ok(())
    }

    /// Places a finished value (of `size` nodes) in the collection that holds it.
    fn place(&mut self, value: Value, size: usize, anchor: usize) -> Result<(), SpecError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (value.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.done = Some(value),
            Some(Open::Seq(items, total)) => {
                items.push(value);
                *total += size;
            }
            Some(Open::Map(map, key, total)) => match key.take() {
                None => *key = Some(key_text(value)?),
                Some(key) => {
                    map.insert(key, value);
                    *total += size;
                }
            },
        }
        Ok(())
    }

    fn close(&mut self, anchor: usize) -> Result<(), SpecError> {
        let (value, size) = match self.stack.pop() {
            Some(Open::Seq(items, size)) => (Value::Array(items), size + 1),
            Some(Open::Map(map, None, size)) => (Value::Object(map), size + 1),
            Some(Open::Map(_, Some(key), _)) => {
                return Err(SpecError::Syntax(format!("YAML: key '{key}' has no value")));
            }
            None => return Err(SpecError::Syntax("YAML: unbalanced document".to_owned())),
        };
        self.place(value, size, anchor)
    }
}

/// Reads a YAML document into JSON values. Plain scalars take YAML 1.2's core types; keys
/// that are numbers (`200:` under `responses`) become their text.
fn yaml(text: &str) -> Result<Value, SpecError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    // The anchor of each open collection, closed with it.
    let mut anchors: Vec<usize> = Vec::new();
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|err| SpecError::Syntax(format!("YAML: {err}")))?;
        let at = |what: &str| {
            SpecError::Syntax(format!(
                "YAML line {}: {what}",
                mark.line().saturating_add(1)
            ))
        };
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart if builder.done.is_some() => {
                return Err(at("only one document is read; this file holds several"));
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => {}
            Event::Scalar(text, style, anchor, tag) => {
                builder.count(1)?;
                let raw = tag.is_some_and(|tag| tag.suffix == "str");
                builder.place(scalar(text, style, raw), 1, anchor)?;
            }
            Event::Alias(id) => {
                let (value, size) = builder
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| at("an alias names no anchor"))?;
                builder.count(size)?;
                builder.place(value, size, 0)?;
            }
            Event::SequenceStart(anchor, _) => {
                builder.open(Open::Seq(Vec::new(), 0))?;
                anchors.push(anchor);
            }
            Event::MappingStart(anchor, _) => {
                builder.open(Open::Map(Map::new(), None, 0))?;
                anchors.push(anchor);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let anchor = anchors.pop().unwrap_or(0);
                builder.close(anchor)?;
            }
        }
    }
    builder
        .done
        .ok_or_else(|| SpecError::Syntax("the file is empty".to_owned()))
}

fn key_text(key: Value) -> Result<String, SpecError> {
    match key {
        Value::String(text) => Ok(text),
        Value::Null => Ok(String::new()),
        Value::Bool(_) | Value::Number(_) => Ok(key.to_string()),
        Value::Array(_) | Value::Object(_) => Err(SpecError::Syntax(
            "YAML: a key that is a list or a map is not supported".to_owned(),
        )),
    }
}

fn scalar(text: String, style: TScalarStyle, raw: bool) -> Value {
    if raw || style != TScalarStyle::Plain {
        return Value::String(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if numeric {
        if let Ok(int) = text.parse::<i64>() {
            return Value::Number(int.into());
        }
        if let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(number);
        }
    }
    Value::String(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fmt::Write as _;

    #[test]
    fn yaml_reads_as_json_would() {
        let value = parse(
            "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n      x: [1, 2.5, true, null, 'yes', \"7\"]\n",
        )
        .unwrap();
        assert_eq!(
            value,
            json!({"openapi": "3.0.3", "paths": {"/a": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x": [1, 2.5, true, null, "yes", "7"]
            }}}})
        );
    }

    #[test]
    fn aliases_are_copies_and_are_counted() {
        let value = parse("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(value, json!({"a": {"b": 1}, "c": {"b": 1}}));
        // The billion laughs: ten levels of ten aliases each.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let prev = level - 1;
            let aliases = vec![format!("*a{prev}"); 10].join(", ");
            writeln!(bomb, "a{level}: &a{level} [{aliases}]").unwrap();
        }
        let err = parse(&bomb).unwrap_err();
        assert!(err.to_string().contains("two million"), "{err}");
    }

    #[test]
    fn deep_nesting_and_bad_documents_fail_cleanly() {
        assert!(parse(&"[".repeat(100_000)).is_err());
        let mut indented = String::new();
        for level in 0..200 {
            indented.push_str(&" ".repeat(level));
            indented.push_str("k:\n");
        }
        assert!(parse(&indented).unwrap_err().to_string().contains("deeper"));
        assert!(parse(&"{".repeat(100_000)).is_err());
        assert!(parse("a: [1, 2").is_err());
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert!(parse("").is_err());
        assert!(parse("? [a]\n: 1\n").is_err());
    }
}
