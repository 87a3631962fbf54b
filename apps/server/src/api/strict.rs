//! Strings that are strings.
//!
//! poem-openapi reads a JSON number or boolean where its schema says `string` (`false` becomes
//! `"false"`), so a request the document forbids would be accepted, and a client's mistake would
//! go unnoticed (a client secret `false`). Every text field of a request body reads through
//! [`text`], which refuses any other JSON kind before poem's own reading.

use poem_openapi::registry::MetaSchemaRef;
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult};
use serde_json::Value;

/// Reads a field whose schema is a string (or an array of strings), refusing numbers and
/// booleans in its place. `null` and absence are left to the field's own type.
pub(crate) fn text<T: ParseFromJSON>(value: Option<Value>) -> ParseResult<T> {
    if let Some(value) = &value
        && !kind_matches(&T::schema_ref(), value)
    {
        return Err(ParseError::expected_type(value.clone()));
    }
    T::parse_from_json(value)
}

fn kind_matches(schema: &MetaSchemaRef, value: &Value) -> bool {
    let MetaSchemaRef::Inline(schema) = schema else {
        return true;
    };
    match (schema.ty, value) {
        (_, Value::Null) => true,
        ("string", value) => value.is_string(),
        ("array", Value::Array(items)) => schema
            .items
            .as_deref()
            .is_none_or(|item| items.iter().all(|value| kind_matches(item, value))),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::MaybeUndefined;
    use serde_json::json;

    use super::*;

    #[test]
    fn only_strings_are_read_as_text() {
        assert_eq!(text::<String>(Some(json!("ada"))).unwrap(), "ada");
        assert!(text::<String>(Some(json!(false))).is_err());
        assert!(text::<String>(Some(json!(12))).is_err());
        assert_eq!(text::<Option<String>>(None).unwrap(), None);
        assert_eq!(text::<Option<String>>(Some(Value::Null)).unwrap(), None);
        assert!(text::<Option<String>>(Some(json!(true))).is_err());
        assert!(text::<MaybeUndefined<String>>(Some(json!(1))).is_err());
        assert!(
            text::<MaybeUndefined<String>>(Some(Value::Null))
                .unwrap()
                .is_null()
        );
        assert!(text::<Option<Vec<String>>>(Some(json!(["a", 1]))).is_err());
        assert_eq!(
            text::<Option<Vec<String>>>(Some(json!(["a"]))).unwrap(),
            Some(vec!["a".to_owned()])
        );
    }
}
