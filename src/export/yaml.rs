//! A JSON value written as block YAML, the form `kubectl apply` users read: maps and
//! lists as indented blocks, keys bare where they are plain names, every string value
//! double-quoted with JSON's escapes (so no value is ever read back as another type:
//! `"1"`, `"true"`, `"0.7"` stay strings), numbers and booleans bare. YAML 1.2 reads a JSON string as the same string, so nothing needs a
//! YAML library to be written right; the tests read it back with one.

use serde_json::Value;

/// `value` as block YAML, ending in a newline.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    block(value, 0, &mut out);
    out
}

/// Writes `value` at `indent` spaces, as the value of a key or a list item already begun
/// on the current line (or at the top, with nothing begun).
fn block(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 || !out.is_empty() && !out.ends_with("- ") {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(&key(k));
                out.push(':');
                item(v, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for v in items {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                match v {
                    Value::Object(m) if !m.is_empty() => block(v, indent + 2, out),
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        block(v, indent + 2, out);
                    }
                    _ => {
                        out.push_str(&scalar(v));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&scalar(value));
            out.push('\n');
        }
    }
}

/// The rest of a `key:` line: a scalar on it, or a nested block below it.
fn item(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            block(v, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            block(v, indent, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

/// A key: bare where it is a plain name YAML cannot read as anything else
/// (`apiVersion`, `autoscaling.knative.dev/class`), else quoted.
fn key(k: &str) -> String {
    let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

/// A scalar (or an empty collection) as JSON writes it: valid YAML 1.2 flow.
fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_yaml_library_reads_back_the_same_value() {
        // serde_yaml, an independent YAML reader, on strings that would turn into other
        // types unquoted, a key that needs quotes, an annotation key, nesting in lists.
        let v = json!({
            "metadata": {"annotations": {"autoscaling.knative.dev/min-scale": "0"}},
            "yes": "no", "2x": "true", "s": "a: b # c\n\"d\"", "n": 0.7, "b": false,
            "l": [[1, 2], {"k": [{"x": "1"}]}, "null"], "e": {}, "z": []
        });
        let back: serde_json::Value = serde_yaml::from_str(&to_yaml(&v)).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn nested_maps_and_lists_are_indented_blocks() {
        let v = json!({
            "spec": {
                "minReplicas": 1,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu"}}],
                "tags": ["a", "b"],
                "empty": {},
                "none": []
            }
        });
        assert_eq!(
            to_yaml(&v),
            // Keys in serde_json's order (sorted).
            "spec:\n  empty: {}\n  metrics:\n  - resource:\n      name: \"cpu\"\n    type: \"Resource\"\n  minReplicas: 1\n  none: []\n  tags:\n  - \"a\"\n  - \"b\"\n"
        );
    }
}
