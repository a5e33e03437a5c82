//! The link parser on each shape of link.

use criterion::{Criterion, criterion_group, criterion_main};
use notion_xws_core::NotionLink;
use std::hint::black_box;

fn links(c: &mut Criterion) {
    let cases = [
        ("bare", "5b8f0c1de2a34f6789abcdef01234567"),
        (
            "app_notion_com",
            "https://app.notion.com/p/Roadmap-5b8f0c1de2a34f6789abcdef01234567",
        ),
        (
            "peek",
            "https://www.notion.so/acme/Tasks-5b8f0c1de2a34f6789abcdef01234567?v=0123456789abcdef0123456789abcdef&p=00112233445566778899aabbccddeeff&pm=s",
        ),
    ];
    let mut group = c.benchmark_group("link_parse");
    for (name, text) in cases {
        group.bench_function(name, |b| b.iter(|| NotionLink::parse(black_box(text))));
    }
    group.finish();
}

/// Short runs: the whole `cargo bench -p benches` must stay within minutes on 2 cores.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = links
}
criterion_main!(benches);
