//! The BEAM reader against OTP: for every `.beam` of the installed OTP (about 1,300 files),
//! the module name and `beam_lib:md5/1` (through `tests/otp/beam_md5.escript`) equal ours,
//! also for gzip-compressed copies; and mutated beams never panic (in `fuzz.rs`).

use std::io::Write as _;

use relup::beam::Beam;

use crate::common::temp_path;

/// OTP's answers: (file, module, md5) for the beams under `dirs` (OTP's lib dir when empty).
pub fn otp_md5s(dirs: &[&std::path::Path]) -> Vec<(String, String, String)> {
    crate::common::escript("beam_md5", dirs)
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                cols[0].to_string(),
                cols[1].to_string(),
                cols[2].to_string(),
            )
        })
        .collect()
}

/// Our module and md5 for each of OTP's lines; the mismatches.
pub fn mismatches(lines: &[(String, String, String)]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|(file, module, md5)| {
            let ours =
                Beam::parse(&std::fs::read(file).unwrap()).map(|b| (b.module.clone(), b.md5()));
            match ours {
                Ok((m, h)) if &m == module && &h == md5 => None,
                other => Some(format!("{file}: OTP {module} {md5}, ours {other:?}")),
            }
        })
        .collect()
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn every_installed_beam_has_beam_libs_md5() {
    let lines = otp_md5s(&[]);
    let bad = mismatches(&lines);
    eprintln!(
        "beams: {} installed OTP beams, {} mismatches",
        lines.len(),
        bad.len()
    );
    assert!(lines.len() > 1000, "only {} beams", lines.len());
    assert!(bad.is_empty(), "{}", bad[..bad.len().min(10)].join("\n"));
}

#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn gzip_compressed_beams_read_the_same() {
    let dir = temp_path("gz-beams");
    std::fs::create_dir_all(&dir).unwrap();
    let plain = otp_md5s(&[]);
    for (file, _, _) in plain.iter().step_by(50) {
        let bytes = std::fs::read(file).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes).unwrap();
        let name = std::path::Path::new(file).file_name().unwrap();
        std::fs::write(dir.join(name), gz.finish().unwrap()).unwrap();
    }
    let lines = otp_md5s(&[&dir]);
    assert!(lines.len() >= 20);
    let bad = mismatches(&lines);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Mutated beams (bit flips, forged sizes, truncations) never panic or over-allocate; the
/// count is `RELUP_FUZZ_BEAMS` (default 2,000 here; the general fuzz test runs more kinds).
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn mutated_beams_never_panic() {
    let n: usize = crate::common::env_count("RELUP_FUZZ_BEAMS", 2_000);
    let seeds: Vec<Vec<u8>> = otp_md5s(&[])
        .iter()
        .step_by(40)
        .map(|(f, _, _)| std::fs::read(f).unwrap())
        .collect();
    let mut g = crate::casegen::Rng::new(0xbea7);
    let mut read = 0;
    for _ in 0..n {
        let seed = &seeds[g.below(seeds.len())];
        let mut b = seed.clone();
        for _ in 0..1 + g.below(3) {
            let at = g.below(b.len().max(1));
            match g.below(4) {
                0 if !b.is_empty() => b[at] ^= 1 << g.below(8),
                1 if !b.is_empty() => b[at] = [0, 0xff, 0x7f, 0x80][g.below(4)],
                2 => b.truncate(at),
                _ => {
                    let end = (at + 4).min(b.len());
                    b[at..end].fill(0xff);
                }
            }
        }
        let limit = 64 << 20;
        let (ok, peak) = crate::alloc_meter::peak_during(limit, || {
            Beam::parse(&b).map(|beam| {
                (
                    beam.md5(),
                    beam.behaviours(),
                    beam.literal_count(),
                    beam.exports(),
                    beam.imports(),
                    beam.external_funs(),
                    relup::appup::supervisor_info(&beam),
                )
            })
        });
        assert!(peak < limit, "{peak} bytes");
        read += usize::from(ok.is_ok());
    }
    eprintln!("beams: {n} mutated beams, {read} still readable, no panic");
}

/// `fun M:F/A` literals are calls too: appup generation adds their modules to DepMods.
#[test]
fn external_funs_are_read_from_the_literal_table() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/beam/funs.beam");
    let beam = Beam::parse(&std::fs::read(path).unwrap()).unwrap();
    let funs: Vec<String> = beam
        .external_funs()
        .unwrap()
        .iter()
        .map(|m| format!("{}:{}/{}", m.module, m.function, m.arity))
        .collect();
    assert_eq!(funs, ["lists:reverse/1", "tally_lib:step/1"]);
}

/// Beams that changed under an unchanged application version are an error (systools would
/// skip the application), and several old versions give one clause each.
#[test]
fn version_bumps_and_several_old_versions() {
    use std::collections::BTreeMap;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/beam");
    let tiny = Beam::parse(&std::fs::read(dir.join("tiny_srv.beam")).unwrap()).unwrap();
    let funs = Beam::parse(&std::fs::read(dir.join("funs.beam")).unwrap()).unwrap();
    let one = |b: &Beam| BTreeMap::from([(b.module.clone(), b.clone())]);
    let both = BTreeMap::from([
        (tiny.module.clone(), tiny.clone()),
        (funs.module.clone(), funs.clone()),
    ]);
    let err = relup::appup::check_version_bumped("app", "1", &one(&tiny), &both).unwrap_err();
    assert!(err.to_string().contains("modules changed (funs)"), "{err}");
    assert!(relup::appup::check_version_bumped("app", "1", &both, &both).is_ok());
    let g = relup::appup::generate(
        "app",
        "3",
        &both,
        &[("1".to_string(), one(&tiny)), ("2".to_string(), one(&funs))],
    );
    assert!(
        g.text.contains("{\"1\",\n   [{add_module, funs}]}"),
        "{}",
        g.text
    );
    assert!(
        g.text.contains("{\"2\",\n   [{add_module, tiny_srv}]}"),
        "{}",
        g.text
    );
}

/// The beams whose `relup beam --json` documents are snapshotted (`json_contract.rs`) have
/// `beam_lib:md5`'s md5.
#[test]
#[cfg_attr(
    not(otp),
    ignore = "needs Erlang/OTP: escript on PATH (apt-get install erlang-base)"
)]
fn the_fixture_beams_have_beam_libs_md5() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/beam");
    let lines: Vec<_> = otp_md5s(&[&dir])
        .into_iter()
        .filter(|(_, module, _)| module != "error")
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let bad = mismatches(&lines);
    assert!(bad.is_empty(), "{bad:?}");
}
