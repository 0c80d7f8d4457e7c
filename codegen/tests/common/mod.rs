//! Helpers shared by the tests that build specs by editing the real one.

use std::path::PathBuf;

use serde_yaml::Value;

pub fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/gcore-billing.yaml")
}

pub fn real() -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(spec_path()).expect("spec")).expect("YAML")
}

pub fn openapi(value: &Value) -> openapiv3::OpenAPI {
    serde_yaml::from_value(value.clone()).expect("OpenAPI")
}

/// The value at `keys` (mapping keys, or sequence indices written as numbers).
pub fn at<'a>(value: &'a mut Value, keys: &[&str]) -> &'a mut Value {
    let mut here = value;
    for key in keys {
        here = match here {
            Value::Sequence(items) => &mut items[key.parse::<usize>().expect("index")],
            Value::Mapping(map) => map
                .get_mut(Value::from(*key))
                .unwrap_or_else(|| panic!("no key {key}")),
            other => panic!("cannot index {other:?} with {key}"),
        };
    }
    here
}

pub fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("YAML")
}

pub fn schema<'a>(spec: &'a mut Value, name: &str) -> &'a mut Value {
    at(spec, &["components", "schemas", name])
}

pub fn prop<'a>(spec: &'a mut Value, name: &str, field: &str) -> &'a mut Value {
    at(spec, &["components", "schemas", name, "properties", field])
}
