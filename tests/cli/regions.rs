//! Regions: `--region CODE` picks an embedded price book, and `gwcost prices import` builds books
//! from AWS's Price List data (the bulk offer file and `aws pricing get-products` output). The
//! fixtures (tests/fixtures/aws-price-list, written by its make_fixtures.py in AWS's documented
//! layouts) hold us-east-1 at the published prices the embedded book holds, and a fictional
//! zz-test-1 with round test prices.

use gwcost_pricing::PriceBook;

use crate::util::{Scratch, dec, fixture, usd};

fn scratch() -> Scratch {
    let s = Scratch::new();
    for f in ["offer.json", "get-products.json"] {
        s.write(
            f,
            &std::fs::read(fixture(&format!("aws-price-list/{f}"))).unwrap(),
        );
    }
    s
}

fn book(s: &Scratch, rel: &str) -> PriceBook {
    PriceBook::from_toml_str(&std::fs::read_to_string(s.path(rel)).unwrap()).unwrap()
}

/// Everything but `meta` (name, source, date), which says where the book came from.
fn prices_of(mut b: PriceBook) -> PriceBook {
    b.meta = PriceBook::aws_us_east_1().meta;
    // ALB prices are not API Gateway data: imported books have none.
    b.alb = None;
    b
}

#[test]
fn the_offer_file_of_us_east_1_gives_the_embedded_prices_back() {
    let s = scratch();
    s.run(&[
        "prices",
        "import",
        "offer.json",
        "--region",
        "us-east-1",
        "-o",
        "use1.toml",
    ])
    .success();
    let imported = book(&s, "use1.toml");
    assert_eq!(imported.meta.name, "aws-us-east-1");
    assert_eq!(imported.meta.region, "us-east-1");
    assert_eq!(imported.meta.as_of, "2026-11-01");
    assert_eq!(
        imported.meta.source_url,
        "AWS Price List, offer AmazonApiGateway"
    );
    assert_eq!(prices_of(imported), prices_of(PriceBook::aws_us_east_1()));

    // get-products output (a PriceList of JSON strings) gives the same book.
    s.run(&["prices", "import", "get-products.json", "-o", "gp.toml"])
        .success();
    assert_eq!(
        std::fs::read_to_string(s.path("gp.toml")).unwrap(),
        std::fs::read_to_string(s.path("use1.toml")).unwrap()
    );
}

/// pricing.md's worked check with the imported book: 432 M HTTP units → $300 + $118.80 =
/// $418.80; 1 B REST requests → 333 M × $3.50 + 667 M × $2.80 = $3,033.10.
#[test]
fn an_imported_book_prices_the_worked_checks() {
    let s = scratch();
    s.run(&[
        "prices",
        "import",
        "offer.json",
        "--region",
        "us-east-1",
        "-o",
        "use1.toml",
    ])
    .success();
    let q = s
        .run(&[
            "quote",
            "http",
            "--requests",
            "432M",
            "--price-book",
            "use1.toml",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(usd(&q["total_usd"]), dec("418.80"));
    let q = s
        .run(&[
            "quote",
            "rest",
            "--requests",
            "1B",
            "--price-book",
            "use1.toml",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(usd(&q["total_usd"]), dec("3033.10"));
}

/// zz-test-1 (fictional): HTTP $2.00/M to 300 M, $1.80/M after; 432 M → 300 × $2.00 + 132 ×
/// $1.80 = $600 + $237.60 = $837.60. Its offer has no data transfer products: the import keeps
/// the template's rates and says so, on stderr and at the top of the file.
#[test]
fn every_region_of_an_offer_file_is_imported_with_all() {
    let s = scratch();
    s.run(&["prices", "import", "offer.json", "--all", "-o", "books"])
        .success()
        .stderr_has("zz-test-1: data transfer out priced at us-east-1's rates")
        .stderr_has("wrote 2 price books");
    let zz = std::fs::read_to_string(s.path("books/aws-zz-test-1.toml")).unwrap();
    assert!(
        zz.starts_with("# gwcost prices import: data transfer out priced at us-east-1's rates"),
        "{zz}"
    );
    let b = book(&s, "books/aws-zz-test-1.toml");
    assert_eq!(b.meta.region, "zz-test-1");
    assert_eq!(b.rest_api.cache.len(), 1);
    let q = s
        .run(&[
            "quote",
            "http",
            "--requests",
            "432M",
            "--price-book",
            "books/aws-zz-test-1.toml",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(usd(&q["total_usd"]), dec("837.60"));
    assert_eq!(
        prices_of(book(&s, "books/aws-us-east-1.toml")),
        prices_of(PriceBook::aws_us_east_1())
    );
}

#[test]
fn import_errors_name_the_problem() {
    let s = scratch();
    s.run(&["prices", "import", "offer.json"])
        .status(2)
        .stderr_has("several regions (us-east-1, zz-test-1)");
    s.run(&["prices", "import", "offer.json", "--region", "eu-west-9"])
        .status(2)
        .stderr_has("no region \"eu-west-9\" in the data (regions: us-east-1, zz-test-1)");
    s.write("bad.json", b"{\"products\": ");
    s.run(&["prices", "import", "bad.json"])
        .status(2)
        .stderr_has("bad.json")
        .stderr_has("not JSON");
    s.write("other.json", b"{\"hello\": 1}");
    s.run(&["prices", "import", "other.json"])
        .status(2)
        .stderr_has("not AWS Price List data");
    s.run(&["prices", "import", "offer.json", "--all"])
        .status(2);
}

#[test]
fn region_picks_an_embedded_book_and_price_book_overrides_it() {
    let s = Scratch::new();
    s.run(&["prices", "--region", "us-east-1"])
        .success()
        .stdout_has("aws-us-east-1");
    s.run(&["prices", "--region", "eu-west-9"])
        .status(2)
        .stderr_has("no embedded price book for region \"eu-west-9\" (embedded: af-south-1, ")
        .stderr_has("gwcost prices import");
    s.run(&[
        "quote",
        "http",
        "--requests",
        "1M",
        "--region",
        "ap-south-9",
    ])
    .status(2)
    .stderr_has("eu-west-2, eu-west-3");
    std::fs::write(
        s.path("book.toml"),
        PriceBook::aws_us_east_1().to_toml_string(),
    )
    .unwrap();
    s.run(&[
        "quote",
        "http",
        "--requests",
        "432M",
        "--region",
        "ap-south-9",
        "--price-book",
        "book.toml",
    ])
    .success()
    .stdout_has("$418.80");
}

/// The Price List's CSV layout (AWS's eu-west-2 file, as AWS serves `index.csv`) imports like
/// the JSON one, and its book prices the hand-computed month: 432 M HTTP requests at
/// $1.16/M to 300 M and $1.04/M after = $348 + $137.28.
#[test]
fn the_price_list_csv_imports_and_prices_eu_west_2() {
    let s = Scratch::new();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../gwcost-pricing/data");
    s.write(
        "index.csv",
        &std::fs::read(data.join("AmazonApiGateway-eu-west-2.csv")).unwrap(),
    );
    s.run(&["prices", "import", "index.csv", "-o", "euw2.toml"])
        .success()
        .stderr_has("eu-west-2: data transfer out priced at us-east-1's rates");
    let imported = book(&s, "euw2.toml");
    assert_eq!(imported.meta.as_of, "2026-08-31");
    let mut embedded = PriceBook::embedded("eu-west-2").unwrap();
    embedded.meta = imported.meta.clone();
    assert_eq!(imported, embedded);
    for args in [
        vec!["--price-book", "euw2.toml"],
        vec!["--region", "eu-west-2"],
    ] {
        let mut a = vec!["quote", "http", "--requests", "432M", "--format", "json"];
        a.extend(args);
        let q = s.run(&a).success().json();
        assert_eq!(usd(&q["total_usd"]), dec("485.28"));
    }
}

#[test]
fn prices_regions_lists_every_embedded_book_and_what_is_missing() {
    let s = Scratch::new();
    let out = s.run(&["prices", "--regions"]).success();
    let text = out.stdout;
    for (region, _) in gwcost_pricing::EMBEDDED {
        assert!(text.contains(region), "{region} missing:\n{text}");
    }
    assert!(text.contains("EU (London)"));
    assert!(text.contains("No embedded book for mx-central-1: AWS's data has no HTTP API prices"));
}

/// `prices import --all -o DIR` writes its books in a temporary folder and moves them in when all
/// are whole. An offer no region can be built from (every HTTP API price removed) fails and
/// leaves no folder, its parents included.
#[test]
fn a_failed_import_all_leaves_no_folder() {
    let s = scratch();
    let mut offer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path("offer.json")).unwrap()).unwrap();
    offer["products"].as_object_mut().unwrap().retain(|_, p| {
        !p["attributes"]["usagetype"]
            .as_str()
            .unwrap()
            .ends_with("ApiGatewayHttpRequest")
    });
    s.write("no-http.json", offer.to_string().as_bytes());
    s.run(&[
        "prices",
        "import",
        "no-http.json",
        "--all",
        "-o",
        "new/books",
    ])
    .status(2)
    .stderr_has("no region could be imported");
    assert!(!s.path("new").exists(), "a failed import left a folder");
}

/// A failure midway (the second region's file would land on a folder) leaves an existing folder
/// exactly as it was: no first book beside the old files. A good run refreshes the folder,
/// keeping what else is in it.
#[test]
fn a_failed_import_all_leaves_an_existing_folder_untouched() {
    let s = scratch();
    s.write("books/keep.txt", b"mine\n");
    s.write("books/aws-zz-test-1.toml/inside", b"a folder in the way\n");
    let r = s.run(&["prices", "import", "offer.json", "--all", "-o", "books"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("aws-zz-test-1.toml is a directory; nothing was written to books"),
        "{}",
        r.stderr
    );
    let mut left: Vec<String> = std::fs::read_dir(s.path("books"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["aws-zz-test-1.toml", "keep.txt"]);
    assert!(s.path("books/aws-zz-test-1.toml/inside").is_file());
    // No staging folder is left beside it either.
    let beside: Vec<_> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".gwcost-"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");

    std::fs::remove_dir_all(s.path("books/aws-zz-test-1.toml")).unwrap();
    s.run(&["prices", "import", "offer.json", "--all", "-o", "books"])
        .success()
        .stderr_has("wrote 2 price books");
    assert_eq!(
        std::fs::read_to_string(s.path("books/keep.txt")).unwrap(),
        "mine\n"
    );
    assert_eq!(
        book(&s, "books/aws-zz-test-1.toml").meta.region,
        "zz-test-1"
    );
    assert_eq!(
        book(&s, "books/aws-us-east-1.toml").meta.region,
        "us-east-1"
    );
}
