//! Criterion micro-benchmarks of the sync's hot paths, on rows as the fake Notion answers them
//! ([`Sample`]: 100 rows of nine property types, synced once by the real sync):
//!
//! - `parse_query_page`: a 100-row query response, JSON text → `List<Page>`;
//! - `canonical_rows`: every property of each of the 100 rows through `values::canonical`;
//! - `translate_rows`: each row's canonical forms → `values::write_form`, property by property;
//! - `create_body_rows`: each row's page-create body (parent, properties, source key) → JSON bytes.
//!
//! Each iteration does the 100 rows of the page (criterion's throughput is rows per second);
//! per row, divide the time by 100. Warm-up 1 s and measurement 3 s per benchmark, set below,
//! so the whole file runs in about 20 s.

use std::hint::black_box;
use std::time::Duration;

use benches::sample::{Sample, parse_page};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use notion_xws_core::model::{List, Page};
use notion_xws_core::sync::one_way::plan::key_value;
use notion_xws_core::sync::schema::SOURCE_KEY;
use notion_xws_core::sync::values::{canonical, write_form};
use serde_json::{Map, Value, json};

/// The sample, made once (a small sync in the fake).
fn sample() -> Sample {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(Sample::make())
}

fn hot_paths(c: &mut Criterion) {
    let sample = sample();
    let text = sample.source_page.to_string();
    let rows: Vec<Page> = sample
        .source_rows()
        .iter()
        .cloned()
        .map(parse_page)
        .collect();
    let forms: Vec<Vec<(String, String, Value)>> = rows
        .iter()
        .map(|row| {
            row.properties
                .iter()
                .filter_map(|(name, value)| {
                    canonical(value).map(|c| (name.clone(), c.type_name, c.value))
                })
                .collect()
        })
        .collect();
    let bodies: Vec<Value> = rows
        .iter()
        .zip(&forms)
        .map(|(row, forms)| {
            let mut properties: Map<String, Value> = forms
                .iter()
                .map(|(name, kind, form)| (name.clone(), write_form(kind, form)))
                .collect();
            properties.insert(SOURCE_KEY.to_owned(), key_value(row.id));
            json!({
                "parent": {"type": "data_source_id", "data_source_id": "9551c4e9-9d29-82c1-a482-28bb230e219c"},
                "properties": properties,
            })
        })
        .collect();

    let mut group = c.benchmark_group("hot_paths");
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("parse_query_page", |b| {
        b.iter(|| serde_json::from_str::<List<Page>>(black_box(&text)).expect("a page of rows"))
    });
    group.bench_function("canonical_rows", |b| {
        b.iter(|| {
            for row in black_box(&rows) {
                for value in row.properties.values() {
                    black_box(canonical(value));
                }
            }
        })
    });
    group.bench_function("translate_rows", |b| {
        b.iter(|| {
            for row in black_box(&forms) {
                for (_, kind, form) in row {
                    black_box(write_form(kind, form));
                }
            }
        })
    });
    group.bench_function("create_body_rows", |b| {
        b.iter(|| {
            for body in black_box(&bodies) {
                black_box(serde_json::to_vec(body).expect("JSON"));
            }
        })
    });
    group.finish();
}

/// Short runs: the whole `cargo bench -p benches` must stay within minutes on 2 cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = hot_paths
}
criterion_main!(benches);
