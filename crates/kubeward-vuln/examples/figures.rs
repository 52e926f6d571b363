//! One phase per run, for `perf stat` (CPU time and instructions do not depend on what else
//! the machine runs, unlike wall time):
//!
//! ```sh
//! cargo build --release -p kubeward-vuln --example figures
//! F=target/release/examples/figures
//! $F generate /tmp/kwv 200000          # writes /tmp/kwv/all.zip
//! perf stat -e task-clock,instructions:u $F import /tmp/kwv
//! perf stat -e task-clock,instructions:u $F load /tmp/kwv
//! perf stat -e task-clock,instructions:u $F match /tmp/kwv 10000
//! ```

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/generate.rs"]
mod generate;

use kubeward_vuln::Database;
use kubeward_vuln::import::import_paths;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(2).expect("usage: figures PHASE DIR [N]"));
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let t = Instant::now();
    match args[1].as_str() {
        "generate" => {
            std::fs::create_dir_all(&dir).unwrap();
            generate::write_zip(&dir.join("all.zip"), n.max(1));
        }
        "import" => {
            let i = import_paths(&[dir.join("all.zip")]).unwrap();
            i.db.save(&dir.join("db")).unwrap();
            eprintln!("{}", i.db.describe());
        }
        "load" => {
            let db = Database::load(&dir.join("db")).unwrap();
            eprintln!("{} records, {} entries", db.vuln_count(), db.entry_count());
        }
        "match" => {
            let db = Database::load(&dir.join("db")).unwrap();
            let qs = generate::queries(n.max(1));
            let t = Instant::now();
            let hits: usize = qs.iter().map(|q| db.matches(q).matches.len()).sum();
            eprintln!(
                "matched {} packages ({hits} matches) in {:.1} ms (one thread)",
                qs.len(),
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        p => panic!("unknown phase {p}"),
    }
    eprintln!(
        "{}: {:.1} ms wall",
        args[1],
        t.elapsed().as_secs_f64() * 1000.0
    );
}
