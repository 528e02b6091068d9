//! Loading the dev split skips the examples of the missing database with one warning.
//!
//! Alone in its test binary: tracing caches per-callsite interest process-wide, so a load on
//! another thread without a subscriber could hide the warning from this thread's subscriber.

mod spider_common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use planbench_tasks::spider::{SpiderConfig, SpiderTask};
use spider_common::data_dir;

#[test]
fn loading_dev_skips_wta_1_with_one_warning() {
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = Arc::clone(&buffer);
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || SharedWriter(Arc::clone(&writer)))
        .finish();
    let task = tracing::subscriber::with_default(subscriber, || {
        SpiderTask::load(SpiderConfig {
            data_dir: data_dir(),
            ..SpiderConfig::default()
        })
        .unwrap()
    });
    let log = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(
        warnings[0].contains("62") && warnings[0].contains("wta_1"),
        "{log}"
    );
    assert_eq!(task.examples().len(), 1034 - 62);
    assert!(task
        .examples()
        .iter()
        .all(|ex| ex.db_id.as_deref() != Some("wta_1")));
    let first = &task.examples()[0];
    assert_eq!(first.id, "dev/0");
    assert_eq!(first.gold, "SELECT count(*) FROM singer");
    // Ids keep the position in the file across the skipped examples.
    assert!(task
        .examples()
        .iter()
        .all(|ex| ex.id == format!("dev/{}", ex.index)));
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
