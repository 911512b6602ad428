//! The engine over the synthetic specs in `tests/specs/`, one per quirk of real vendor files.

use serde_json::json;

use super::*;

const SWAGGER2: &str = include_str!("../../tests/specs/swagger2-localhost.json");
const OAS30: &str = include_str!("../../tests/specs/oas30-template.yaml");
const OAS31: &str = include_str!("../../tests/specs/oas31-relative.yaml");

fn doc(text: &str) -> ApiDoc {
    ApiDoc::parse(text).unwrap()
}

fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// `op`'s request on `base` with `pairs`, no body, the token in `Authorization`.
fn built(
    op: &Operation,
    base: &str,
    pairs: &[(&str, &str)],
) -> Result<ApiRequest, super::request::BadCall> {
    build(op, base, &values(pairs), None, "Authorization")
}

/// Why `built` refuses the call.
fn refusal(op: &Operation, base: &str, pairs: &[(&str, &str)]) -> String {
    built(op, base, pairs).unwrap_err().0
}

#[test]
fn swagger2_on_localhost_goes_to_the_account_base_with_its_base_path() {
    let spec = doc(SWAGGER2);
    assert_eq!(spec.title(), "Storage occm (synthetic, Swagger 2.0) 3.9");
    assert_eq!(spec.server(), Server::OnAccountBase("/occm/api".into()));
    assert_eq!(
        spec.base_url(
            "https://cloudmanager.example/",
            Some("https://docs.example"),
            None
        ),
        "https://cloudmanager.example/occm/api"
    );
    let labels: Vec<String> = spec.operations().iter().map(Operation::label).collect();
    assert_eq!(
        labels,
        [
            "GET /audit",
            "GET /working-environments/{workingEnvironmentId}/volumes",
            "POST /working-environments/{workingEnvironmentId}/volumes"
        ]
    );
}

#[test]
fn swagger2_parameters_encode_by_kind_and_auth_headers_stay_hidden() {
    let spec = doc(SWAGGER2);
    let list = spec.find("listVolumes").unwrap();
    let shown: Vec<&str> = list.visible_params().map(|p| p.name.as_str()).collect();
    assert_eq!(shown, ["workingEnvironmentId", "fields", "tag", "detailed"]);
    let request = built(
        list,
        "https://h.example/occm/api",
        &[
            ("workingEnvironmentId", "vsa/1 2"),
            ("fields", "size"),
            ("fields", "state"),
            ("tag", "a b"),
            ("tag", "c"),
        ],
    )
    .unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.url.as_str(),
        "https://h.example/occm/api/working-environments/vsa%2F1%202/volumes?fields=size%2Cstate&tag=a+b&tag=c"
    );
    assert!(request.headers.is_empty(), "{:?}", request.headers);
    let given = [("workingEnvironmentId", "x"), ("authorization", "t")];
    let refused = refusal(list, "https://h.example", &given);
    assert!(refused.contains("fills it in"), "{refused}");
    let given = [("workingEnvironmentId", "x"), ("fields", "color")];
    assert_eq!(
        refusal(list, "https://h.example", &given),
        "'color' is not a value 'fields' takes; use one of size, state, snapshots"
    );
}

#[test]
fn swagger2_body_takes_the_vendor_media_type_and_checks_json() {
    let spec = doc(SWAGGER2);
    let create = spec.find("post /working-environments/{workingEnvironmentId}/volumes");
    let create = create.unwrap();
    let body = create.body.as_ref().unwrap();
    assert_eq!(body.media_type, "application/vnd.netapp.occm.v1+json");
    assert_eq!(
        body.example,
        json!({"name": "vol1", "size": {"size": 100, "unit": "GB"}, "thin": true, "exportPolicy": "none"})
    );
    let base = "https://h.example";
    let with = |data| {
        build(
            create,
            base,
            &values(&[("workingEnvironmentId", "w"), ("X-Request-Id", "r1")]),
            data,
            "Authorization",
        )
    };
    let request = with(Some(r#"{"name":"v"}"#)).unwrap();
    assert_eq!(
        request.body,
        Some((
            "application/vnd.netapp.occm.v1+json".into(),
            r#"{"name":"v"}"#.into()
        ))
    );
    assert_eq!(request.headers, [("X-Request-Id".into(), "r1".into())]);
    assert!(with(Some("{name")).unwrap_err().0.contains("not JSON"));
    assert!(with(None).unwrap_err().0.contains("needs a body"));
}

#[test]
fn required_parameters_take_their_default_or_are_asked_for() {
    let spec = doc(SWAGGER2);
    let audit = spec.find("getAudit").unwrap();
    let request = built(audit, "https://h.example", &[]).unwrap();
    assert_eq!(request.url.query(), Some("limit=10"));
    let bad = refusal(audit, "https://h.example", &[("limit", "ten")]);
    assert_eq!(bad, "'ten' is not an integer for 'limit'");
    let list = spec.find("listVolumes").unwrap();
    assert_eq!(
        refusal(list, "https://h.example", &[]),
        "GET /working-environments/{workingEnvironmentId}/volumes needs the path parameter 'workingEnvironmentId'"
    );
    assert_eq!(
        refusal(audit, "https://h.example", &[("offset", "1")]),
        "GET /audit has no parameter 'offset'; it takes limit"
    );
}

#[test]
fn openapi30_template_server_nullable_types_and_cycles() {
    let spec = doc(OAS30);
    assert_eq!(spec.server(), Server::OnAccountBase("/monitoring".into()));
    let groups: Vec<(&str, usize)> = spec
        .by_tag("")
        .into_iter()
        .map(|(tag, ops)| (tag, ops.len()))
        .collect();
    assert_eq!(groups, [("Devices", 2), ("Topology", 1)]);
    let tree = spec.find("tree").unwrap();
    assert_eq!(tree.summary.as_deref(), Some("The whole topology."));
    let list = spec.find("ListDevices").unwrap();
    let status = list.params.iter().find(|p| p.name == "status").unwrap();
    assert_eq!(status.kind.as_deref(), Some("string"));
    assert_eq!(status.choices, ["Up", "Down"]);
    let request = built(
        list,
        &spec.base_url("https://gw.example", None, None),
        &[
            ("site_id", "42"),
            ("model", "a"),
            ("model", "b"),
            ("calculate_total", "true"),
            ("session", "s1"),
        ],
    )
    .unwrap();
    assert_eq!(
        request.url.as_str(),
        "https://gw.example/monitoring/v2/sites/42/devices?model=a&model=b&calculate_total=true"
    );
    assert_eq!(request.headers, [("Cookie".into(), "session=s1".into())]);
    let rename = spec.find("renamedevices").unwrap();
    let body = rename.body.as_ref().unwrap();
    assert_eq!(body.media_type, "application/vnd.central.rename+json");
    assert_eq!(
        body.example,
        json!({"name": "", "enabled": true, "parent": null, "children": []})
    );
    assert_eq!(spec.by_tag("topo").len(), 1);
    assert!(spec.by_tag("nothing like it").is_empty());
}

#[test]
fn openapi31_relative_server_form_body_and_escaped_refs() {
    let spec = doc(OAS31);
    assert_eq!(spec.server(), Server::Relative("/api/v1".into()));
    assert_eq!(
        spec.base_url("https://gw.example", Some("http://127.0.0.1:9"), None),
        "http://127.0.0.1:9/api/v1"
    );
    assert_eq!(
        spec.base_url("https://gw.example", None, None),
        "https://gw.example/api/v1"
    );
    assert_eq!(
        spec.base_url("https://gw.example", None, Some("https://other.example/x/")),
        "https://other.example/x"
    );
    let get = spec.find("GET /items/{id}").unwrap();
    let shown: Vec<&str> = get.visible_params().map(|p| p.name.as_str()).collect();
    assert_eq!(shown, ["id", "X-Trace", "page_size"]);
    let given = [("id", "é?#"), ("X-Trace", "t1")];
    let request = built(get, "http://127.0.0.1:9/api/v1", &given).unwrap();
    assert_eq!(
        request.url.as_str(),
        "http://127.0.0.1:9/api/v1/items/%C3%A9%3F%23"
    );
    assert_eq!(request.headers, [("X-Trace".into(), "t1".into())]);
    let line_break = [("id", "1"), ("X-Trace", "a\r\nX-Evil: 1")];
    assert!(refusal(get, "http://127.0.0.1:9", &line_break).contains("line break"));
    let accent = [("id", "1"), ("X-Trace", "café")];
    assert!(refusal(get, "http://127.0.0.1:9", &accent).contains("plain ASCII"));
    let add = spec.find("addItem").unwrap();
    let given = [("label", "a&b c"), ("count", "3")];
    let request = built(add, "http://127.0.0.1:9", &given).unwrap();
    assert_eq!(
        request.body,
        Some((
            "application/x-www-form-urlencoded".into(),
            "count=3&label=a%26b+c".into()
        ))
    );
    assert!(refusal(add, "http://127.0.0.1:9", &[]).contains("'label'"));
}

#[test]
fn a_server_with_a_public_address_is_used_as_it_is() {
    let spec = doc(
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\nservers:\n  - url: https://{region}.api.example.com/v{major}\n    variables:\n      region: {default: eu}\n      major: {default: '2'}\npaths: {}\n",
    );
    assert_eq!(
        spec.base_url("https://ignored.example", None, None),
        "https://eu.api.example.com/v2"
    );
    let swagger = doc(
        r#"{"swagger": "2.0", "host": "api.example.com", "schemes": ["http", "https"], "paths": {}}"#,
    );
    assert_eq!(
        swagger.base_url("https://x.example", None, None),
        "https://api.example.com"
    );
}

#[test]
fn what_is_not_a_spec_says_so() {
    assert_eq!(
        ApiDoc::parse(r#"{"openapi": 2}"#).unwrap_err(),
        SpecError::NotOpenApi
    );
    assert_eq!(
        ApiDoc::parse("just: yaml").unwrap_err(),
        SpecError::NotOpenApi
    );
    assert!(matches!(
        ApiDoc::parse("{\"openapi\": \"3.0.0\", \"paths\": {"),
        Err(SpecError::Syntax(_))
    ));
    let no_paths = ApiDoc::parse("openapi: 3.1.0\ninfo: {title: x, version: '1'}\n").unwrap();
    assert!(no_paths.operations().is_empty());
}

/// Real vendor files, when a folder of them is named (their licences keep them out of the
/// repository): every one reads, and every operation builds or says why not.
#[test]
fn vendor_specs_in_a_named_folder_all_read() {
    let Ok(folder) = std::env::var("TOKENWALLET_VENDOR_SPECS") else {
        return;
    };
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        match ApiDoc::parse(&text) {
            Ok(spec) => {
                for op in spec.operations() {
                    let _ = built(op, "https://x.example", &[]);
                }
            }
            Err(err) => failures.push(format!("{}: {err}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

mod properties {
    use proptest::prelude::*;

    use super::super::{ApiDoc, read};

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i32>().prop_map(|n| serde_json::json!(n)),
            "[a-z$#/~{}0-9 ]{0,12}".prop_map(serde_json::Value::String),
            prop_oneof![
                Just("#/a"),
                Just("#/a/b"),
                Just("#/components/schemas/S"),
                Just("#/paths"),
                Just("#"),
            ]
            .prop_map(|r| serde_json::json!({"$ref": r})),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("a".to_owned()),
                        Just("b".to_owned()),
                        Just("$ref".to_owned()),
                        Just("type".to_owned()),
                        Just("properties".to_owned()),
                        Just("items".to_owned()),
                        Just("allOf".to_owned()),
                        Just("schema".to_owned()),
                        Just("parameters".to_owned()),
                        Just("get".to_owned()),
                        "[a-z]{1,4}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any text parses or fails with an error; none panics.
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "\\PC{0,200}") {
            let _ = read::parse(&text);
            let _ = ApiDoc::parse(&text);
        }

        /// YAML-looking text (indentation, anchors, aliases, flow collections).
        #[test]
        fn yamlish_text_parses_or_fails_cleanly(text in "([a-z]{1,3}: |- |  |&a |\\*a |\\[|\\]|\\{|\\}|, |\n|'|\"|#|\\? |!!str ){0,60}") {
            let _ = read::parse(&text);
        }

        /// Any document with refs pointing anywhere (cycles included) lists its operations,
        /// and every operation's request is built or refused, in bounded time.
        #[test]
        fn cyclic_refs_terminate(
            paths in json_value(),
            components in json_value(),
            a in json_value(),
        ) {
            let doc = serde_json::json!({
                "openapi": "3.0.0",
                "paths": {"/p/{x}": {"get": paths.clone(), "parameters": [a.clone()]}, "/q": paths},
                "components": {"schemas": {"S": components}},
                "a": a.clone(),
                "a/b": a,
            });
            let spec = ApiDoc::parse(&doc.to_string()).unwrap();
            for op in spec.operations() {
                let _ = super::super::build(op, "https://h.example", &[], Some("{}"), "Authorization");
            }
        }
    }
}
