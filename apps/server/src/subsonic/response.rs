//! Subsonic answers as a small tree of elements, written as the protocol's XML (attributes on
//! elements, `xmlns="http://subsonic.org/restapi"`) or JSON (`{"subsonic-response": {...}}`,
//! attributes as fields, repeated elements as arrays). XML escaping is quick-xml's, JSON
//! serde_json's; the tree only says what is a list.

use poem::Response;
use serde_json::{Map, Value as Json};

/// The Subsonic API version this server answers as.
pub(crate) const API_VERSION: &str = "1.16.1";

/// A value of an attribute (or of a bare element, like an extension's version).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Number(i64),
    Flag(bool),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Self::Flag(flag)
    }
}

macro_rules! numbers {
    ($($type:ty),*) => {$(
        impl From<$type> for Value {
            fn from(number: $type) -> Self {
                Self::Number(i64::try_from(number).unwrap_or(i64::MAX))
            }
        }
    )*};
}
numbers!(u32, u64, i32, i64, usize);

impl Value {
    fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number(number) => number.to_string(),
            Self::Flag(flag) => flag.to_string(),
        }
    }

    fn json(&self) -> Json {
        match self {
            Self::Text(text) => Json::String(text.clone()),
            Self::Number(number) => Json::from(*number),
            Self::Flag(flag) => Json::Bool(*flag),
        }
    }
}

/// An element: attributes, then child elements; `lists` names the children that are lists
/// (arrays in JSON even with one element or none).
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    name: &'static str,
    attributes: Vec<(&'static str, Value)>,
    children: Vec<Node>,
    lists: Vec<&'static str>,
    /// A bare value (`<versions>1</versions>`, a number in a JSON array).
    content: Option<Value>,
}

impl Node {
    /// An element called `name`.
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    /// A bare value called `name`.
    pub(crate) fn value(name: &'static str, value: impl Into<Value>) -> Self {
        Self {
            name,
            content: Some(value.into()),
            ..Self::default()
        }
    }

    /// The same element under another name.
    pub(crate) fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// With an attribute.
    pub(crate) fn attr(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.attributes.push((name, value.into()));
        self
    }

    /// With an attribute when there is a value.
    pub(crate) fn attr_opt<V: Into<Value>>(self, name: &'static str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.attr(name, value),
            None => self,
        }
    }

    /// With one child element.
    pub(crate) fn child(mut self, child: Node) -> Self {
        self.children.push(child);
        self
    }

    /// With a list of child elements called `name` (an array in JSON, even when empty).
    pub(crate) fn list(
        mut self,
        name: &'static str,
        items: impl IntoIterator<Item = Node>,
    ) -> Self {
        self.lists.push(name);
        self.children.extend(items.into_iter().map(|mut item| {
            item.name = name;
            item
        }));
        self
    }

    fn to_json(&self) -> Json {
        if let Some(content) = &self.content {
            return content.json();
        }
        let mut object = Map::new();
        for (name, value) in &self.attributes {
            object.insert((*name).to_owned(), value.json());
        }
        for name in &self.lists {
            object.insert((*name).to_owned(), Json::Array(Vec::new()));
        }
        for child in &self.children {
            let value = child.to_json();
            if self.lists.contains(&child.name) {
                if let Some(Json::Array(items)) = object.get_mut(child.name) {
                    items.push(value);
                }
            } else {
                object.insert(child.name.to_owned(), value);
            }
        }
        Json::Object(object)
    }

    fn write_xml(&self, writer: &mut quick_xml::Writer<Vec<u8>>) -> Result<(), quick_xml::Error> {
        use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
        let mut start = BytesStart::new(self.name);
        let texts: Vec<(&str, String)> = self
            .attributes
            .iter()
            .map(|(name, value)| (*name, value.text()))
            .collect();
        for (name, text) in &texts {
            start.push_attribute((*name, text.as_str()));
        }
        if let Some(content) = &self.content {
            writer.write_event(Event::Start(start))?;
            writer.write_event(Event::Text(BytesText::new(&content.text())))?;
            return writer.write_event(Event::End(BytesEnd::new(self.name)));
        }
        if self.children.is_empty() {
            return writer.write_event(Event::Empty(start));
        }
        writer.write_event(Event::Start(start))?;
        for child in &self.children {
            child.write_xml(writer)?;
        }
        writer.write_event(Event::End(BytesEnd::new(self.name)))
    }
}

/// How the app asked to be answered (`f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    pub(crate) fn parse(requested: Option<&str>) -> Self {
        match requested {
            Some("json" | "jsonp") => Self::Json,
            _ => Self::Xml,
        }
    }
}

/// A Subsonic error: its code and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) code: u16,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A required parameter is missing (10).
    pub(crate) fn missing(name: &str) -> Self {
        Self::new(10, format!("Required parameter is missing: {name}"))
    }

    /// Not found (70).
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(70, format!("{what} not found"))
    }

    /// A failure of ours (0), logged with its chain; the app is told only that it failed.
    pub(crate) fn internal(error: &anyhow::Error) -> Self {
        tracing::error!(error = format!("{error:#}"), "a Subsonic call failed");
        Self::new(0, "The server failed; try again later")
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Self::internal(&error)
    }
}

/// The `subsonic-response` around `body` (its children), or around an error.
pub(crate) fn respond(format: Format, outcome: Result<Node, Failure>) -> Response {
    let mut root = Node::new("subsonic-response")
        .attr("status", if outcome.is_ok() { "ok" } else { "failed" })
        .attr("version", API_VERSION)
        .attr("type", "soiree")
        .attr("serverVersion", env!("CARGO_PKG_VERSION"))
        .attr("openSubsonic", true);
    match outcome {
        Ok(body) => {
            root.attributes.extend(body.attributes);
            root.lists.extend(body.lists);
            root.children.extend(body.children);
        }
        Err(failure) => {
            root = root.child(
                Node::new("error")
                    .attr("code", u32::from(failure.code))
                    .attr("message", failure.message),
            );
        }
    }
    match format {
        Format::Json => {
            let mut wrapper = Map::new();
            wrapper.insert("subsonic-response".to_owned(), root.to_json());
            Response::builder()
                .content_type("application/json; charset=utf-8")
                .body(Json::Object(wrapper).to_string())
        }
        Format::Xml => {
            root.attributes
                .insert(0, ("xmlns", Value::from("http://subsonic.org/restapi")));
            let mut writer = quick_xml::Writer::new(Vec::with_capacity(1024));
            let written = writer
                .write_event(quick_xml::events::Event::Decl(
                    quick_xml::events::BytesDecl::new("1.0", Some("UTF-8"), None),
                ))
                .and_then(|()| root.write_xml(&mut writer));
            match written {
                Ok(()) => Response::builder()
                    .content_type("text/xml; charset=utf-8")
                    .body(writer.into_inner()),
                Err(error) => respond(
                    Format::Json,
                    Err(Failure::internal(&anyhow::Error::from(error))),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(response: Response) -> String {
        response.into_body().into_string().await.unwrap()
    }

    #[tokio::test]
    async fn one_tree_written_as_subsonic_xml_and_json() {
        let body = Node::new("")
            .child(
                Node::new("artists").attr("ignoredArticles", "The").list(
                    "index",
                    [Node::new("").attr("name", "A").list(
                        "artist",
                        [Node::new("")
                            .attr("id", "ar-1")
                            .attr("name", "Ada & \"Co\"")],
                    )],
                ),
            )
            .list(
                "openSubsonicExtensions",
                [Node::new("")
                    .attr("name", "formPost")
                    .list("versions", [Node::value("", 1_u32)])],
            );
        let xml = text(respond(Format::Xml, Ok(body.clone()))).await;
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><subsonic-response xmlns=\"http://subsonic.org/restapi\" status=\"ok\" version=\"1.16.1\""), "{xml}");
        assert!(xml.contains("<artists ignoredArticles=\"The\"><index name=\"A\"><artist id=\"ar-1\" name=\"Ada &amp; &quot;Co&quot;\"/></index></artists>"), "{xml}");
        assert!(xml.contains("<openSubsonicExtensions name=\"formPost\"><versions>1</versions></openSubsonicExtensions>"), "{xml}");
        let json: Json =
            serde_json::from_str(&text(respond(Format::Json, Ok(body))).await).unwrap();
        let root = &json["subsonic-response"];
        assert_eq!(root["status"], "ok");
        assert_eq!(root["openSubsonic"], true);
        assert_eq!(
            root["artists"]["index"][0]["artist"][0]["name"],
            "Ada & \"Co\""
        );
        assert_eq!(root["openSubsonicExtensions"][0]["versions"][0], 1);
        let empty = Node::new("").child(Node::new("playlists").list("playlist", []));
        let json: Json =
            serde_json::from_str(&text(respond(Format::Json, Ok(empty))).await).unwrap();
        assert_eq!(
            json["subsonic-response"]["playlists"]["playlist"],
            serde_json::json!([])
        );
        let failed: Json =
            serde_json::from_str(&text(respond(Format::Json, Err(Failure::missing("id")))).await)
                .unwrap();
        assert_eq!(failed["subsonic-response"]["status"], "failed");
        assert_eq!(failed["subsonic-response"]["error"]["code"], 10);
    }
}
