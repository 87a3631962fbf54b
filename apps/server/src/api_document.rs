//! The OpenAPI document as served: poem-openapi's, made to say what the server does.
//!
//! poem-openapi leaves a few behaviours of its own parsers out of the schemas it writes, so a
//! client reading the document would send requests the server refuses, or be surprised by answers.
//! [`ApiDocument::new`] adds them, each a rule about every schema rather than a list of
//! exceptions:
//! - Request bodies refuse unknown fields (every input object is `deny_unknown_fields`):
//!   `additionalProperties: false`, on the body and the objects inside it (inline bodies,
//!   such as the uploads' multipart form, too).
//! - A property that is not required is an `Option` (or has a default), which the parser reads
//!   `null` as absent and the serializer writes as `null`: it is `nullable`.
//! - Unsigned integers refuse negative numbers and numbers past their width: `minimum: 0` and
//!   the width's `maximum`, where the field has no narrower range of its own.
//!
//! The same paths answer which route template a request matched ([`ApiDocument::route_of`], the
//! label of the request metrics) and which methods it takes ([`ApiDocument::allowed`], the `Allow`
//! header of a 405).

use std::collections::BTreeSet;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use serde_json::{Map, Value, json};

/// The served document and its routes.
#[derive(Debug)]
pub(crate) struct ApiDocument {
    json: String,
    routes: Vec<Route>,
}

#[derive(Debug)]
struct Route {
    /// Leaked once at start-up (a few dozen short strings for the process's life), so that the
    /// metrics can label every request with it without allocating.
    template: &'static str,
    segments: Vec<Segment>,
    methods: Vec<Method>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl ApiDocument {
    /// The document poem-openapi wrote (`spec`), completed.
    pub(crate) fn new(spec: &str) -> anyhow::Result<Self> {
        let mut document: Value = serde_json::from_str(spec)?;
        complete(&mut document);
        let routes = document["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(template, operations)| Route {
                        template: Box::leak(template.clone().into_boxed_str()),
                        segments: template
                            .trim_start_matches('/')
                            .split('/')
                            .map(|segment| {
                                if segment.starts_with('{') {
                                    Segment::Parameter
                                } else {
                                    Segment::Literal(segment.to_owned())
                                }
                            })
                            .collect(),
                        methods: operations
                            .as_object()
                            .map(|operations| {
                                operations
                                    .keys()
                                    .filter_map(|method| {
                                        Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                                            .ok()
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            json: serde_json::to_string(&document)?,
            routes,
        })
    }

    /// The document, as JSON.
    pub(crate) fn json(&self) -> &str {
        &self.json
    }

    fn route(&self, path: &str) -> Option<&Route> {
        let path = path.trim_start_matches('/');
        let count = path.split('/').count();
        // A literal segment wins over a parameter (`/rooms/{code}/votes` before `/rooms/{code}/{x}`).
        self.routes
            .iter()
            .filter(|route| {
                route.segments.len() == count
                    && route
                        .segments
                        .iter()
                        .zip(path.split('/'))
                        .all(|(expected, actual)| match expected {
                            Segment::Literal(literal) => literal == actual,
                            Segment::Parameter => !actual.is_empty(),
                        })
            })
            .max_by_key(|route| {
                route
                    .segments
                    .iter()
                    .filter(|segment| matches!(segment, Segment::Literal(_)))
                    .count()
            })
    }

    /// The route template a path matches, such as `/api/v1/rooms/{code}`.
    pub(crate) fn route_of(&self, path: &str) -> Option<&'static str> {
        self.route(path).map(|route| route.template)
    }

    /// The methods a path takes (`HEAD` wherever `GET` is), if it is one of the API's.
    pub(crate) fn allowed(&self, path: &str) -> Option<String> {
        let route = self.route(path)?;
        let mut methods: BTreeSet<&str> = route.methods.iter().map(Method::as_str).collect();
        if methods.contains("GET") {
            methods.insert("HEAD");
        }
        Some(methods.into_iter().collect::<Vec<_>>().join(", "))
    }
}

/// Adds what the parsers do to every schema of `document`.
fn complete(document: &mut Value) {
    let bodies: BTreeSet<String> = request_body_schemas(document);
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if bodies.contains(name) && schema.get("properties").is_some() {
                schema["additionalProperties"] = Value::Bool(false);
            }
            complete_object(schema);
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operations in paths.values_mut() {
            for operation in operations
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                // Inline bodies (the uploads' multipart form) refuse unknown fields too.
                for content in operation
                    .pointer_mut("/requestBody/content")
                    .and_then(Value::as_object_mut)
                    .into_iter()
                    .flat_map(|c| c.values_mut())
                {
                    let schema = &mut content["schema"];
                    if schema.get("properties").is_some() {
                        schema["additionalProperties"] = Value::Bool(false);
                    }
                }
                for parameter in operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(schema) = parameter.get_mut("schema") {
                        bound_unsigned(schema);
                    }
                }
            }
        }
    }
}

/// Properties not required are nullable; unsigned integers are bounded; nested inline objects
/// likewise.
fn complete_object(schema: &mut Value) {
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        bound_unsigned(schema);
        return;
    };
    for (name, property) in properties.iter_mut() {
        bound_unsigned(property);
        if let Some(items) = property.get_mut("items") {
            bound_unsigned(items);
        }
        if !required.contains(name) {
            nullable(property);
        }
    }
}

fn nullable(property: &mut Value) {
    // In OpenAPI 3.0, `nullable` beside a `$ref` is ignored: the reference goes into `allOf`.
    if let Some(reference) = property.get("$ref").cloned() {
        let mut wrapped = Map::new();
        wrapped.insert("allOf".to_owned(), json!([{ "$ref": reference }]));
        if let Some(description) = property.get("description").cloned() {
            wrapped.insert("description".to_owned(), description);
        }
        *property = Value::Object(wrapped);
    }
    property["nullable"] = Value::Bool(true);
}

fn bound_unsigned(schema: &mut Value) {
    let maximum = match schema["format"].as_str() {
        Some("uint8") => u64::from(u8::MAX),
        Some("uint16") => u64::from(u16::MAX),
        Some("uint32") => u64::from(u32::MAX),
        Some("uint64") => u64::MAX,
        _ => return,
    };
    if schema.get("minimum").is_none() {
        schema["minimum"] = json!(0);
    }
    if schema.get("maximum").is_none() && maximum != u64::MAX {
        schema["maximum"] = json!(maximum);
    }
}

/// The schemas request bodies use, and those their properties use, by name.
fn request_body_schemas(document: &Value) -> BTreeSet<String> {
    let mut pending: Vec<String> = Vec::new();
    for operations in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in operations.as_object().into_iter().flat_map(|o| o.values()) {
            for content in operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values())
            {
                collect_references(&content["schema"], &mut pending);
            }
        }
    }
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if found.insert(name.clone()) {
            collect_references(&document["components"]["schemas"][&name], &mut pending);
        }
    }
    found
}

fn collect_references(schema: &Value, into: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                into.push(reference.rsplit('/').next().unwrap_or_default().to_owned());
            }
            for value in object.values() {
                collect_references(value, into);
            }
        }
        Value::Array(values) => values
            .iter()
            .for_each(|value| collect_references(value, into)),
        _ => {}
    }
}

/// Adds `Allow` to every 405 of the API (RFC 9110 §15.5.6 requires it).
#[derive(Debug, Clone)]
pub(crate) struct AllowHeader(pub(crate) std::sync::Arc<ApiDocument>);

impl<E: Endpoint> Middleware<E> for AllowHeader {
    type Output = AllowHeaderEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AllowHeaderEndpoint {
            inner,
            document: std::sync::Arc::clone(&self.0),
        }
    }
}

#[derive(Debug)]
pub(crate) struct AllowHeaderEndpoint<E> {
    inner: E,
    document: std::sync::Arc<ApiDocument>,
}

impl<E: Endpoint> Endpoint for AllowHeaderEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        // A URI clone shares its bytes: no copy of the path on every request.
        let uri = request.uri().clone();
        let mut response = self.inner.call(request).await?.into_response();
        if response.status() == StatusCode::METHOD_NOT_ALLOWED
            && let Some(allowed) = self.document.allowed(uri.path())
            && let Ok(value) = HeaderValue::from_str(&allowed)
        {
            response.headers_mut().insert(header::ALLOW, value);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> ApiDocument {
        let spec = json!({
            "openapi": "3.0.0",
            "paths": {
                "/api/v1/rooms/{code}": {
                    "get": {}, "patch": {
                        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/RoomPatch"}}}}
                    }
                },
                "/api/v1/rooms/{code}/votes": {"post": {}},
                "/api/v1/library/uploads": {"post": {
                    "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "array"}}}}}}
                }},
                "/api/v1/me/rooms": {"get": {"parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer", "format": "uint32"}}
                ]}},
                "/api/v1/{anything}/rooms": {"delete": {}}
            },
            "components": {"schemas": {
                "RoomPatch": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "guests": {"type": "integer", "format": "uint8", "maximum": 100},
                    "rules": {"$ref": "#/components/schemas/Rules", "description": "The rules."}
                }},
                "Rules": {"type": "object", "properties": {"share": {"type": "number"}}},
                "RoomOut": {"type": "object", "properties": {"name": {"type": "string"}}}
            }}
        });
        ApiDocument::new(&spec.to_string()).unwrap()
    }

    #[test]
    fn bodies_refuse_unknown_fields_and_optional_properties_accept_null() {
        let document: Value = serde_json::from_str(document().json()).unwrap();
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["RoomPatch"]["additionalProperties"], false);
        assert_eq!(
            schemas["Rules"]["additionalProperties"], false,
            "nested in a body"
        );
        assert!(
            schemas["RoomOut"].get("additionalProperties").is_none(),
            "only inputs"
        );
        let form = &document["paths"]["/api/v1/library/uploads"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]["schema"];
        assert_eq!(form["additionalProperties"], false, "an inline body");
        let properties = &schemas["RoomPatch"]["properties"];
        assert!(properties["name"].get("nullable").is_none(), "required");
        assert_eq!(properties["guests"]["nullable"], true);
        assert_eq!(properties["rules"]["nullable"], true);
        assert_eq!(
            properties["rules"]["allOf"][0]["$ref"],
            "#/components/schemas/Rules"
        );
        assert_eq!(properties["rules"]["description"], "The rules.");
    }

    #[test]
    fn unsigned_integers_are_bounded_by_their_width_unless_narrower() {
        let document: Value = serde_json::from_str(document().json()).unwrap();
        let guests = &document["components"]["schemas"]["RoomPatch"]["properties"]["guests"];
        assert_eq!(
            (guests["minimum"].as_u64(), guests["maximum"].as_u64()),
            (Some(0), Some(100))
        );
        let page = &document["paths"]["/api/v1/me/rooms"]["get"]["parameters"][0]["schema"];
        assert_eq!(
            (page["minimum"].as_u64(), page["maximum"].as_u64()),
            (Some(0), Some(u64::from(u32::MAX)))
        );
    }

    #[test]
    fn paths_match_their_template_literal_segments_first() {
        let document = document();
        assert_eq!(
            document.route_of("/api/v1/rooms/ABC234"),
            Some("/api/v1/rooms/{code}")
        );
        assert_eq!(
            document.route_of("/api/v1/rooms/ABC234/votes"),
            Some("/api/v1/rooms/{code}/votes")
        );
        assert_eq!(
            document.route_of("/api/v1/me/rooms"),
            Some("/api/v1/me/rooms")
        );
        assert_eq!(document.route_of("/api/v1/rooms/"), None, "an empty code");
        assert_eq!(document.route_of("/dashboard"), None);
        assert_eq!(
            document.allowed("/api/v1/rooms/ABC234").as_deref(),
            Some("GET, HEAD, PATCH")
        );
    }
}
