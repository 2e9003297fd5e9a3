//! Keeps `grammar/*.ebnf` and the code honest: every rule is quoted verbatim in a
//! `// name ::= ...` comment in `src/`, every such comment is a rule, and every name a rule
//! uses is defined.

use std::collections::BTreeMap;
use std::path::Path;

fn rules_in(text: &str, comment: bool) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = if comment {
                line.trim_start().strip_prefix("// ")?
            } else {
                line
            };
            let (name, rhs) = line.split_once(" ::= ")?;
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
                .then(|| (name.to_string(), rhs.to_string()))
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn unique(pairs: Vec<(String, String)>, what: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (name, rhs) in pairs {
        assert!(
            map.insert(name.clone(), rhs).is_none(),
            "rule `{name}` appears twice in {what}"
        );
    }
    map
}

#[test]
fn grammar_files_and_parser_comments_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut grammar = Vec::new();
    for entry in std::fs::read_dir(root.join("grammar")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ebnf") {
            grammar.extend(rules_in(&std::fs::read_to_string(path).unwrap(), false));
        }
    }
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let code: Vec<(String, String)> = files
        .iter()
        .flat_map(|f| rules_in(&std::fs::read_to_string(f).unwrap(), true))
        .collect();
    let grammar = unique(grammar, "grammar/");
    let code = unique(code, "src/");
    assert!(grammar.len() >= 70, "only {} rules", grammar.len());
    for (name, rhs) in &grammar {
        match code.get(name) {
            None => panic!("rule `{name}` has no `// {name} ::=` comment in src/"),
            Some(c) => assert_eq!(c, rhs, "rule `{name}` differs between grammar/ and src/"),
        }
    }
    for name in code.keys() {
        assert!(
            grammar.contains_key(name),
            "src/ cites `{name}`, which no grammar file defines"
        );
    }
    let primitives = ["any_char", "hex", "EOF"];
    for (name, rhs) in &grammar {
        for word in referenced_names(rhs) {
            assert!(
                grammar.contains_key(&word) || primitives.contains(&word.as_str()),
                "rule `{name}` uses undefined `{word}`"
            );
        }
    }
}

/// Names a rule's right-hand side refers to (outside quotes, character classes and comments).
fn referenced_names(rhs: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = rhs.chars().peekable();
    let mut word = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
            }
            '[' => {
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                }
            }
            '(' if chars.peek() == Some(&'o') => break, // "(other characters ...)" prose
            '#' => {
                while chars.peek().is_some_and(|d| d.is_ascii_alphanumeric()) {
                    chars.next();
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                word.push(c);
                continue;
            }
            _ => {}
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}
