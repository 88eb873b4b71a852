//! `gwcost prices`: the price book in force, and `gwcost prices import`, which builds price
//! books from AWS's Price List data.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use gwcost_pricing::{Offer, PriceBook};

use crate::cli::{PricesAction, PricesArgs, PricesFormat, PricesImportArgs};
use crate::common::emit;

pub(crate) fn prices(p: &PricesArgs) -> Result<()> {
    if let Some(PricesAction::Import(i)) = &p.action {
        return import(i);
    }
    if p.regions {
        return emit(None, &gwcost_report::render_regions());
    }
    let book = crate::common::load_book(p.price_book.as_deref(), Some(&p.region))?;
    let text = match p.format {
        PricesFormat::Table => gwcost_report::render_prices_table(&book),
        PricesFormat::Toml => book.to_toml_string(),
        PricesFormat::Json => {
            // The TOML layout (per-million and per-GB prices as written), as JSON, after the
            // blocks every JSON output shares (docs/output-vocabulary.md).
            let value: toml::Value = toml::from_str(&book.to_toml_string())
                .context("re-reading the price book's TOML")?;
            let mut doc = serde_json::json!({
                "schema_version": gwcost_report::PRICES_SCHEMA_VERSION,
                "currency": book.meta.currency,
                "price_book": gwcost_report::PriceBookLine::of(&book),
            });
            if let (Some(d), serde_json::Value::Object(b)) =
                (doc.as_object_mut(), serde_json::to_value(&value)?)
            {
                d.extend(b);
            }
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
    };
    emit(None, &text)
}

fn read_text(file: &Path) -> Result<String> {
    let shown = file.display().to_string();
    if shown == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading stdin")?;
        return Ok(s);
    }
    std::fs::read_to_string(file).with_context(|| format!("reading {shown}"))
}

fn import(i: &PricesImportArgs) -> Result<()> {
    let shown = i.file.display().to_string();
    let text = read_text(&i.file)?;
    let reference = match &i.tiers_from {
        Some(f) => {
            Some(Offer::from_text(&read_text(f)?, None).with_context(|| f.display().to_string())?)
        }
        None => None,
    };
    let offer = Offer::from_text(&text, reference.as_ref()).with_context(|| shown.clone())?;
    // The rules the Price List does not carry (increments, free tier, limits) are the same in
    // every region: they come from the embedded book.
    let template = PriceBook::aws_us_east_1();
    if i.all {
        let Some(dir) = &i.output else {
            bail!("--all writes one file per region: give the directory with -o DIR");
        };
        // Written in a temporary folder and moved in when every book is whole: a failed import
        // leaves no folder, or the existing one as it was.
        let staged = crate::output::StagedDir::create_or_merge(dir)?;
        let mut written = 0;
        for region in offer.regions() {
            match offer.book(&region, &template) {
                Ok(b) => {
                    for w in &b.warnings {
                        eprintln!("gwcost: {region}: {w}");
                    }
                    let path = staged.path().join(format!("aws-{region}.toml"));
                    emit(Some(&path), &b.toml)?;
                    written += 1;
                }
                Err(e) => eprintln!("gwcost: skipped {region}: {e}"),
            }
        }
        if written == 0 {
            bail!("{shown}: no region could be imported");
        }
        staged.commit()?;
        eprintln!("gwcost: wrote {written} price books to {}", dir.display());
        return Ok(());
    }
    let region = offer
        .pick_region(i.region.as_deref())
        .with_context(|| shown.clone())?;
    let b = offer
        .book(&region, &template)
        .with_context(|| shown.clone())?;
    for w in &b.warnings {
        eprintln!("gwcost: {region}: {w}");
    }
    emit(i.output.as_deref(), &b.toml)
}
