//! The example lists shipped under studies/ids are exactly the selections their headers name,
//! on the real data.

use std::path::{Path, PathBuf};

use planbench_experiment::{
    choose, Environment, Loader, SelectionSpec, Stratum, TaskKind, TaskSpec,
};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn loader() -> Loader {
    let data_dir = std::env::var_os("PLANBENCH_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/datasets"));
    Loader::new(Environment {
        data_dir,
        cache: None,
    })
}

fn ids(selection: &SelectionSpec, kind: TaskKind) -> Vec<String> {
    let loaded = loader().task(&TaskSpec::of(kind)).unwrap();
    choose(&loaded.examples, selection)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

fn file(name: &str) -> SelectionSpec {
    SelectionSpec {
        examples: Some(workspace().join("studies/ids").join(name)),
        ..SelectionSpec::default()
    }
}

fn sample(n: usize, stratify: Option<Stratum>) -> SelectionSpec {
    SelectionSpec {
        sample: Some(n),
        stratify,
        ..SelectionSpec::default()
    }
}

#[test]
fn the_spider_list_is_the_stratified_sample_and_covers_every_database() {
    let listed = ids(&file("spider-dev-400.txt"), TaskKind::Spider);
    assert_eq!(listed.len(), 400);
    assert_eq!(
        listed,
        ids(&sample(400, Some(Stratum::Db)), TaskKind::Spider)
    );
    let loaded = loader().task(&TaskSpec::of(TaskKind::Spider)).unwrap();
    let dbs = |examples: &mut dyn Iterator<Item = &planbench_core::Example>| {
        examples
            .filter_map(|e| e.db_id.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let chosen = choose(&loaded.examples, &file("spider-dev-400.txt")).unwrap();
    assert_eq!(dbs(&mut chosen.iter()), dbs(&mut loaded.examples.iter()));
    // The first 400 cover far fewer.
    assert!(dbs(&mut loaded.examples.iter().take(400)) < 10);
}

#[test]
fn the_gsm8k_lists_are_the_seeded_samples_and_nest() {
    let five = ids(&file("gsm8k-test-500.txt"), TaskKind::Gsm8k);
    let one = ids(&file("gsm8k-test-100.txt"), TaskKind::Gsm8k);
    assert_eq!(five, ids(&sample(500, None), TaskKind::Gsm8k));
    assert_eq!(one, ids(&sample(100, None), TaskKind::Gsm8k));
    assert!(one.iter().all(|id| five.contains(id)));
}
