//! Local `$ref`s and schemas: resolution that always ends, and an example value drawn from
//! a schema to prefill a request body.

use serde_json::{Map, Value};

/// How many `$ref`s in a row are followed before giving up (a cycle of refs to refs).
const MAX_HOPS: usize = 32;
/// How deep an example is drawn; a recursive schema stops here.
const MAX_EXAMPLE_DEPTH: usize = 8;

/// `value`, with its `$ref` (and the refs it leads to) followed within the document.
/// A ref that leads outside the document, nowhere or round in a circle resolves to `None`.
pub fn resolve<'a>(root: &'a Value, value: &'a Value) -> Option<&'a Value> {
    let mut current = value;
    for _ in 0..MAX_HOPS {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return Some(current);
        };
        current = pointer(root, reference)?;
    }
    None
}

/// The value a local reference (`#/components/schemas/Pet`) points at.
fn pointer<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let path = reference.strip_prefix('#')?;
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    root.pointer(&decoded)
}

/// The schema's type, lenient: `type: [string, "null"]` (3.1's form, also seen in 3.0
/// files) is its first type that is not null; no type but properties is an object.
pub fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => Some(kind),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null"),
        _ if schema.get("properties").is_some() => Some("object"),
        _ if schema.get("items").is_some() => Some("array"),
        _ => None,
    }
}

/// The enum's values as text.
pub fn enum_texts(schema: &Value) -> Vec<String> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(text_of).collect())
        .unwrap_or_default()
}

/// A scalar as the text a user would type; `None` for null, lists and maps.
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
        _ => None,
    }
}

/// An example of `schema`: its own example or default where it gives one (a string default
/// on a boolean is read as the boolean), else one drawn from its type and properties.
pub fn example(root: &Value, schema: &Value) -> Value {
    Drawer {
        root,
        seen: Vec::new(),
    }
    .draw(schema, 0)
}

struct Drawer<'a> {
    root: &'a Value,
    /// The refs being drawn, outermost first: a ref met again inside itself is a cycle.
    seen: Vec<&'a str>,
}

impl<'a> Drawer<'a> {
    fn draw(&mut self, schema: &'a Value, depth: usize) -> Value {
        let reference = schema.get("$ref").and_then(Value::as_str);
        if let Some(reference) = reference {
            if self.seen.contains(&reference) || depth > MAX_EXAMPLE_DEPTH {
                return Value::Null;
            }
            self.seen.push(reference);
        }
        let value = match resolve(self.root, schema) {
            Some(resolved) if depth <= MAX_EXAMPLE_DEPTH => self.draw_resolved(resolved, depth),
            _ => Value::Null,
        };
        if reference.is_some() {
            self.seen.pop();
        }
        value
    }

    fn draw_resolved(&mut self, schema: &'a Value, depth: usize) -> Value {
        let kind = type_of(schema);
        let given = schema
            .get("example")
            .or_else(|| schema.get("examples").and_then(|e| e.get(0)))
            .or_else(|| schema.get("default"))
            .or_else(|| schema.get("enum").and_then(|e| e.get(0)));
        if let Some(given) = given {
            return match (kind, given) {
                (Some("boolean"), Value::String(text)) => Value::Bool(text == "true"),
                _ => given.clone(),
            };
        }
        if let Some(first) = ["allOf", "oneOf", "anyOf"]
            .iter()
            .find_map(|key| schema.get(*key).and_then(Value::as_array))
        {
            return self.combined(first, schema, depth);
        }
        match kind {
            Some("object") => self.object(schema, depth),
            Some("array") => {
                schema
                    .get("items")
                    .map_or(Value::Array(Vec::new()), |items| {
                        match self.draw(items, depth + 1) {
                            Value::Null => Value::Array(Vec::new()),
                            item => Value::Array(vec![item]),
                        }
                    })
            }
            Some("integer" | "number") => Value::from(0),
            Some("boolean") => Value::Bool(false),
            Some("string") => Value::String(string_example(schema)),
            _ => Value::Null,
        }
    }

    /// `allOf` merges the parts' properties; `oneOf` and `anyOf` take the first part.
    fn combined(&mut self, parts: &'a [Value], schema: &'a Value, depth: usize) -> Value {
        if schema.get("allOf").is_none() {
            return parts
                .first()
                .map_or(Value::Null, |part| self.draw(part, depth + 1));
        }
        let mut merged = Map::new();
        for part in parts {
            match self.draw(part, depth + 1) {
                Value::Object(fields) => merged.extend(fields),
                Value::Null => {}
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        if let Value::Object(own) = self.object(schema, depth) {
            merged.extend(own);
        }
        Value::Object(merged)
    }

    fn object(&mut self, schema: &'a Value, depth: usize) -> Value {
        let mut fields = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let read_only = resolve(self.root, property)
                    .and_then(|p| p.get("readOnly"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if !read_only {
                    fields.insert(name.clone(), self.draw(property, depth + 1));
                }
            }
        }
        Value::Object(fields)
    }
}

fn string_example(schema: &Value) -> String {
    match schema.get("format").and_then(Value::as_str) {
        Some("date-time") => "2026-01-01T00:00:00Z".to_owned(),
        Some("date") => "2026-01-01".to_owned(),
        Some("uuid") => "00000000-0000-0000-0000-000000000000".to_owned(),
        Some("email") => "user@example.com".to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cyclic_refs_end() {
        let root = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"},
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
            }}
        }}});
        let a = json!({"$ref": "#/components/schemas/A"});
        assert_eq!(resolve(&root, &a), None);
        assert_eq!(example(&root, &a), Value::Null);
        let node = json!({"$ref": "#/components/schemas/Node"});
        assert_eq!(
            example(&root, &node),
            json!({"name": "", "children": []}),
            "the recursion stops at the ref met again"
        );
    }

    #[test]
    fn examples_follow_the_schema_leniently() {
        let root = json!({"definitions": {"Flag~Set": {"type": "object", "properties": {
            "on": {"type": "boolean", "default": "true"},
            "kind": {"type": ["string", "null"], "enum": ["disk", "node"]},
            "id": {"type": "string", "readOnly": true},
            "at": {"type": "string", "format": "date-time"},
            "n": {"type": "integer"}
        }}}});
        let schema = json!({"allOf": [{"$ref": "#/definitions/Flag~0Set"}, {"properties": {"extra": {"type": "number", "example": 2.5}}}]});
        assert_eq!(
            example(&root, &schema),
            json!({"on": true, "kind": "disk", "at": "2026-01-01T00:00:00Z", "n": 0, "extra": 2.5})
        );
        assert_eq!(resolve(&root, &json!({"$ref": "other.yaml#/x"})), None);
        assert_eq!(
            type_of(&json!({"type": ["null", "integer"]})),
            Some("integer")
        );
    }
}
