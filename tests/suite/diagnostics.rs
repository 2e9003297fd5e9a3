//! Rendered diagnostics of malformed release files, one fixture per kind of problem
//! (`tests/fixtures/invalid/<code>[_detail].<ext>`): each must produce a diagnostic with the
//! code its name starts with, and its full rendering is snapshotted.

use std::path::Path;

use relup::check::{Context, check};
use relup::files::decode_app;
use relup::term::{decode_source, parse_terms};

use crate::common::snapshot_settings;

fn render(path: &Path, context: &Context) -> (String, Vec<&'static str>) {
    let bytes = std::fs::read(path).unwrap();
    let report = check(path, &bytes, context);
    let source = decode_source(&bytes)
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text: String = report
        .diagnostics
        .iter()
        .map(|d| d.render(&source, &name))
        .collect();
    (
        text,
        report.diagnostics.iter().map(|d| d.code.as_str()).collect(),
    )
}

#[test]
fn malformed_files_render_their_diagnostics() {
    let _guard = snapshot_settings().bind_to_scope();
    let mut count = 0;
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"),
        "invalid/*",
        |path| {
            let (text, codes) = render(path, &Context::default());
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                codes
                    .iter()
                    .any(|c| stem == *c || stem.starts_with(&format!("{c}_"))),
                "{stem}: expected a `{stem}` diagnostic, got {codes:?}"
            );
            count += 1;
            insta::with_settings!({ omit_expression => true, description => format!("relup check {stem}") }, {
                insta::assert_snapshot!(text);
            });
        }
    );
    assert!(count >= 40, "only {count} malformed fixtures");
}

#[test]
fn appup_checked_against_its_app() {
    let _guard = snapshot_settings().bind_to_scope();
    for (case, code) in [("bad_vsn", "bad_vsn"), ("no_such_module", "no_such_module")] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pairs")
            .join(case);
        let app_source = std::fs::read_to_string(dir.join("demo.app")).unwrap();
        let app = decode_app(&parse_terms(&app_source).unwrap(), Some("demo")).0;
        let (text, codes) = render(&dir.join("demo.appup"), &Context { app });
        assert!(codes.contains(&code), "{case}: {codes:?}");
        insta::assert_snapshot!(format!("pair_{case}"), text);
    }
}
