//! Price books from AWS's own Price List data for `AmazonApiGateway`: the bulk offer file
//! (`index.json`: `products{sku:{productFamily, attributes{usagetype, regionCode, …}}}` and
//! `terms.OnDemand{sku:{term:{priceDimensions{…{beginRange, endRange, unit,
//! pricePerUnit{USD}}}}}}`) and the output of `aws pricing get-products --service-code
//! AmazonApiGateway` (`{"PriceList": ["<one product and its terms, as a JSON string>", …]}`).
//!
//! Prices come from the data only. What the Price List does not carry — the metering rules
//! (512 KB and 32 KB increments), free-tier amounts, limits, unbilled error types — is the same
//! in every region and is taken from a template book (the embedded us-east-1 one). Data transfer
//! out is priced from the offer's `DataTransfer-Out-Bytes` products when it has them; when it
//! has none the template's rates are kept and the import says so.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::price_book::{CacheSize, GB, PriceBook};
use crate::tiers::Tier;

/// What an API Gateway usage type bills (CUR lines and offer products share the names:
/// `<REGION>-ApiGatewayHttpRequest`, …; the region prefix may be absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UsageKind {
    HttpRequests,
    RestRequests,
    Messages,
    ConnectionMinutes,
    DataTransferOut,
    Cache,
    Other,
}

impl UsageKind {
    /// The kind of a usage type such as `USE1-ApiGatewayHttpRequest` or
    /// `EU-ApiGatewayCacheUsage:0.5GB`.
    pub fn of(usage_type: &str) -> UsageKind {
        let ut = usage_type.trim();
        let is = |suffix: &str| ut == suffix || ut.ends_with(&format!("-{suffix}"));
        if is("ApiGatewayHttpRequest") {
            UsageKind::HttpRequests
        } else if is("ApiGatewayRequest") {
            UsageKind::RestRequests
        } else if is("ApiGatewayMessage") {
            UsageKind::Messages
        } else if is("ApiGatewayMinute") {
            UsageKind::ConnectionMinutes
        } else if is("DataTransfer-Out-Bytes") {
            UsageKind::DataTransferOut
        } else if ut.contains("ApiGatewayCacheUsage") {
            UsageKind::Cache
        } else {
            UsageKind::Other
        }
    }
}

/// Price List data that cannot be turned into a price book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error(
        "not AWS Price List data: expected an offer file (`products` and `terms`) or \
         `aws pricing get-products` output (`PriceList`)"
    )]
    NotPriceList,
    #[error("PriceList[{index}]: {problem}")]
    BadEntry { index: usize, problem: String },
    #[error("product {sku}: {problem}")]
    BadProduct { sku: String, problem: String },
    #[error("region {region}: {problem}")]
    Region { region: String, problem: String },
    #[error("no region {region:?} in the data (regions: {found})")]
    UnknownRegion { region: String, found: String },
    #[error("the data holds several regions ({found}): name one with --region, or --all")]
    SeveralRegions { found: String },
    #[error("the data holds no API Gateway prices")]
    Empty,
    #[error("the data carries no publicationDate: a price book must say when its prices were read")]
    Undated,
    #[error("line {line}: {problem}")]
    Csv { line: usize, problem: String },
    #[error(
        "this is the pricing page's data, which names no tiers: give AWS Price List data of any \
         region with --tiers-from FILE (e.g. AmazonApiGateway-eu-west-2.csv)"
    )]
    NoReference,
    #[error("the reference data (--tiers-from): {0}")]
    Reference(String),
}

/// One priced range of a product (`beginRange`..`endRange` in its unit).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dimension {
    /// The price-dimension code: the last part of the rate code (`SKU.TERM.DIMENSION`), shared
    /// by the same tier in every region; empty when the data does not carry one.
    code: String,
    begin: Decimal,
    /// `None`: `Inf`.
    end: Option<Decimal>,
    usd: Decimal,
}

/// One product with its on-demand price dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Product {
    sku: String,
    usage_type: String,
    region: String,
    /// A cache product's size as the data states it (`cacheMemorySizeGb`, the CSV's
    /// `Cache Memory Size (GB)`): the usage type rounds differently (`1.55GB` for the 1.6 GB size).
    cache_gb: Option<Decimal>,
    dimensions: Vec<Dimension>,
}

/// API Gateway prices read from Price List data, by region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// `YYYY-MM-DD` of the data's `publicationDate` (empty when it has none).
    pub publication_date: String,
    /// Where the data came from, as the books' `meta.source_url` says it.
    pub source: String,
    products: Vec<Product>,
}

/// One imported book and what the import had to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBook {
    pub region: String,
    pub book: PriceBook,
    /// Things a user should check (e.g. data transfer kept from the template).
    pub warnings: Vec<String>,
    /// The book as TOML, with the warnings as comments on top.
    pub toml: String,
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn decimal(s: &str) -> Option<Decimal> {
    s.trim()
        .parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(s.trim()).ok())
}

/// The on-demand dimensions of one SKU's terms object (`{termCode: {priceDimensions: …}}`).
fn dimensions(sku: &str, terms: &Value) -> Result<Vec<Dimension>, ImportError> {
    let bad = |problem: String| ImportError::BadProduct {
        sku: sku.to_owned(),
        problem,
    };
    let mut out = Vec::new();
    for term in terms.as_object().into_iter().flat_map(|m| m.values()) {
        let dims = term
            .get("priceDimensions")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("a term without priceDimensions".to_owned()))?;
        for (key, d) in dims {
            let code = str_of(d, "rateCode")
                .unwrap_or(key)
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_owned();
            let usd = d
                .get("pricePerUnit")
                .and_then(|p| str_of(p, "USD"))
                .ok_or_else(|| bad("a price dimension without pricePerUnit.USD".to_owned()))?;
            let usd = decimal(usd).ok_or_else(|| bad(format!("price {usd:?} is not a decimal")))?;
            let begin = str_of(d, "beginRange").unwrap_or("0");
            let begin = decimal(begin)
                .ok_or_else(|| bad(format!("beginRange {begin:?} is not a number")))?;
            let end = match str_of(d, "endRange").unwrap_or("Inf") {
                e if e.eq_ignore_ascii_case("inf") => None,
                e => {
                    Some(decimal(e).ok_or_else(|| bad(format!("endRange {e:?} is not a number")))?)
                }
            };
            out.push(Dimension {
                code,
                begin,
                end,
                usd,
            });
        }
    }
    out.sort_by_key(|d| d.begin);
    Ok(out)
}

fn product(sku: &str, p: &Value, terms: Option<&Value>) -> Result<Option<Product>, ImportError> {
    let attrs = p.get("attributes");
    let attr = |k: &str| attrs.and_then(|a| str_of(a, k)).unwrap_or("");
    let usage_type = attr("usagetype");
    if UsageKind::of(usage_type) == UsageKind::Other {
        return Ok(None);
    }
    let region = attr("regionCode");
    if region.is_empty() {
        return Ok(None);
    }
    let dimensions = match terms {
        Some(t) => dimensions(sku, t)?,
        None => Vec::new(),
    };
    Ok(Some(Product {
        sku: sku.to_owned(),
        usage_type: usage_type.to_owned(),
        region: region.to_owned(),
        cache_gb: decimal(attr("cacheMemorySizeGb")),
        dimensions,
    }))
}

impl Offer {
    /// Reads a bulk offer file or `aws pricing get-products` output.
    pub fn from_json(text: &str) -> Result<Offer, ImportError> {
        let v: Value = serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
        let date = |v: &Value| {
            str_of(v, "publicationDate")
                .map(|d| d.chars().take(10).collect::<String>())
                .unwrap_or_default()
        };
        let mut products = Vec::new();
        let mut publication_date = date(&v);
        if let (Some(ps), Some(terms)) =
            (v.get("products").and_then(Value::as_object), v.get("terms"))
        {
            let on_demand = terms.get("OnDemand");
            for (sku, p) in ps {
                let t = on_demand.and_then(|o| o.get(sku));
                products.extend(product(sku, p, t)?);
            }
        } else if let Some(list) = v.get("PriceList").and_then(Value::as_array) {
            for (index, item) in list.iter().enumerate() {
                let bad = |problem: String| ImportError::BadEntry { index, problem };
                // The CLI prints each entry as a JSON string; SDKs may hand objects.
                let parsed;
                let entry = match item {
                    Value::String(s) => {
                        parsed = serde_json::from_str::<Value>(s)
                            .map_err(|e| bad(format!("not JSON: {e}")))?;
                        &parsed
                    }
                    other => other,
                };
                let p = entry
                    .get("product")
                    .ok_or_else(|| bad("no `product`".to_owned()))?;
                let sku = str_of(p, "sku").unwrap_or("").to_owned();
                let t = entry.get("terms").and_then(|t| t.get("OnDemand"));
                products.extend(product(&sku, p, t)?);
                if publication_date.is_empty() {
                    publication_date = date(entry);
                }
            }
        } else {
            return Err(ImportError::NotPriceList);
        }
        if products.is_empty() {
            return Err(ImportError::Empty);
        }
        if publication_date.is_empty() {
            return Err(ImportError::Undated);
        }
        Ok(Offer {
            publication_date,
            source: PRICE_LIST_SOURCE.to_owned(),
            products,
        })
    }

    /// The region codes with API Gateway prices, sorted.
    pub fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self.products.iter().map(|p| p.region.clone()).collect();
        r.sort();
        r.dedup();
        r
    }

    /// The one region of the data, or `region` when given.
    pub fn pick_region(&self, region: Option<&str>) -> Result<String, ImportError> {
        let regions = self.regions();
        match region {
            Some(r) if regions.iter().any(|x| x == r) => Ok(r.to_owned()),
            Some(r) => Err(ImportError::UnknownRegion {
                region: r.to_owned(),
                found: regions.join(", "),
            }),
            None if regions.len() == 1 => Ok(regions[0].clone()),
            None => Err(ImportError::SeveralRegions {
                found: regions.join(", "),
            }),
        }
    }

    /// The price book of `region`: the prices from the data, everything else from `template`.
    pub fn book(&self, region: &str, template: &PriceBook) -> Result<ImportedBook, ImportError> {
        let err = |problem: String| ImportError::Region {
            region: region.to_owned(),
            problem,
        };
        let mut by_kind: BTreeMap<UsageKind, Vec<&Product>> = BTreeMap::new();
        for p in self.products.iter().filter(|p| p.region == region) {
            by_kind
                .entry(UsageKind::of(&p.usage_type))
                .or_default()
                .push(p);
        }
        let tiers =
            |kind: UsageKind, name: &str, unit_scale: Decimal| -> Result<Vec<Tier>, ImportError> {
                let ps = by_kind
                    .get(&kind)
                    .ok_or_else(|| err(format!("no {name} price in the data")))?;
                let first = tiers_of(ps[0], unit_scale).map_err(&err)?;
                for p in &ps[1..] {
                    if tiers_of(p, unit_scale).map_err(&err)? != first {
                        return Err(err(format!(
                            "{name}: products {} and {} price it differently",
                            ps[0].sku, p.sku
                        )));
                    }
                }
                Ok(first)
            };
        let mut book = template.clone();
        let one = Decimal::ONE;
        book.http_api.tiers = tiers(UsageKind::HttpRequests, "ApiGatewayHttpRequest", one)?;
        book.rest_api.tiers = tiers(UsageKind::RestRequests, "ApiGatewayRequest", one)?;
        book.websocket.message_tiers = tiers(UsageKind::Messages, "ApiGatewayMessage", one)?;
        book.websocket.connection_minute_tiers =
            tiers(UsageKind::ConnectionMinutes, "ApiGatewayMinute", one)?;
        let mut cache = Vec::new();
        for p in by_kind.get(&UsageKind::Cache).into_iter().flatten() {
            let size = p
                .cache_gb
                .or_else(|| {
                    p.usage_type
                        .rsplit(':')
                        .next()
                        .map(|s| s.trim_end_matches("GB").trim_end_matches("Gb"))
                        .and_then(decimal)
                })
                .ok_or_else(|| err(format!("cache usage type {:?} names no size", p.usage_type)))?;
            let per_hour = match p.dimensions.as_slice() {
                [d] => d.usd,
                _ => {
                    return Err(err(format!(
                        "cache {}: expected one hourly price",
                        p.usage_type
                    )));
                }
            };
            if !cache.iter().any(|c: &CacheSize| c.size_gb == size) {
                cache.push(CacheSize {
                    size_gb: size.normalize(),
                    per_hour,
                });
            }
        }
        cache.sort_by_key(|c| c.size_gb);
        let mut warnings = Vec::new();
        if cache.is_empty() {
            warnings.push(format!(
                "no REST API cache prices for {region} in the data: the book offers no cache sizes"
            ));
        }
        book.rest_api.cache = cache;
        if by_kind.contains_key(&UsageKind::DataTransferOut) {
            // Per GB in the data; per byte in the book, bounds in bytes.
            book.data_transfer_out.tiers = tiers(
                UsageKind::DataTransferOut,
                "DataTransfer-Out-Bytes",
                Decimal::from(GB),
            )?;
        } else {
            let note = format!(
                "{}'s rates: the API Gateway price data has none for {region} (they are in \
                 AWS's AWSDataTransfer offer)",
                template.meta.region
            );
            warnings.push(format!("data transfer out priced at {note}"));
            book.data_transfer_out.source = Some(note);
        }
        // API Gateway's price data has no ALB prices; a region's book has none unless added.
        book.alb = None;
        book.meta.name = format!("aws-{region}");
        book.meta.region = region.to_owned();
        book.meta.source_url = self.source.clone();
        book.meta.as_of = self.publication_date.clone();
        // Round trip through the TOML reader: the book is validated like any user's book.
        let body = book.to_toml_string();
        let book = PriceBook::from_toml_str(&body).map_err(|e| err(e.to_string()))?;
        let mut toml = String::new();
        for w in &warnings {
            toml.push_str(&format!("# gwcost prices import: {w}\n"));
        }
        toml.push_str(&body);
        Ok(ImportedBook {
            region: region.to_owned(),
            book,
            warnings,
            toml,
        })
    }
}

/// `meta.source_url` of books built from the Price List (JSON or CSV).
const PRICE_LIST_SOURCE: &str = "AWS Price List, offer AmazonApiGateway";
/// `meta.source_url` of books built from the pricing page's data.
const PRICING_PAGE_SOURCE: &str =
    "https://aws.amazon.com/api-gateway/pricing/ (the page's price data, AWS's meteredUnitMaps)";

/// AWS's location names (the pricing page's `regions` keys, the Price List's `Location`) and
/// their region codes. Names, not prices: the page keys its prices by location only.
pub const LOCATIONS: &[(&str, &str)] = &[
    ("Africa (Cape Town)", "af-south-1"),
    ("Asia Pacific (Hong Kong)", "ap-east-1"),
    ("Asia Pacific (Taipei)", "ap-east-2"),
    ("Asia Pacific (Tokyo)", "ap-northeast-1"),
    ("Asia Pacific (Seoul)", "ap-northeast-2"),
    ("Asia Pacific (Osaka)", "ap-northeast-3"),
    ("Asia Pacific (Mumbai)", "ap-south-1"),
    ("Asia Pacific (Hyderabad)", "ap-south-2"),
    ("Asia Pacific (Singapore)", "ap-southeast-1"),
    ("Asia Pacific (Sydney)", "ap-southeast-2"),
    ("Asia Pacific (Jakarta)", "ap-southeast-3"),
    ("Asia Pacific (Melbourne)", "ap-southeast-4"),
    ("Asia Pacific (Malaysia)", "ap-southeast-5"),
    ("Asia Pacific (New Zealand)", "ap-southeast-6"),
    ("Asia Pacific (Thailand)", "ap-southeast-7"),
    ("Canada (Central)", "ca-central-1"),
    ("Canada West (Calgary)", "ca-west-1"),
    ("EU (Frankfurt)", "eu-central-1"),
    ("EU (Zurich)", "eu-central-2"),
    ("EU (Stockholm)", "eu-north-1"),
    ("EU (Milan)", "eu-south-1"),
    ("EU (Spain)", "eu-south-2"),
    ("EU (Ireland)", "eu-west-1"),
    ("EU (London)", "eu-west-2"),
    ("EU (Paris)", "eu-west-3"),
    ("Israel (Tel Aviv)", "il-central-1"),
    ("Middle East (UAE)", "me-central-1"),
    ("Middle East (Bahrain)", "me-south-1"),
    ("Mexico (Central)", "mx-central-1"),
    ("South America (Sao Paulo)", "sa-east-1"),
    ("US East (N. Virginia)", "us-east-1"),
    ("US East (Ohio)", "us-east-2"),
    ("AWS GovCloud (US-East)", "us-gov-east-1"),
    ("AWS GovCloud (US)", "us-gov-west-1"),
    ("US West (N. California)", "us-west-1"),
    ("US West (Oregon)", "us-west-2"),
];

/// The usage type gwcost gives a product read from the pricing page (which names none), in the
/// Price List's spelling so [`UsageKind::of`] reads it back.
fn usage_type_of(kind: UsageKind, cache_gb: Option<Decimal>) -> String {
    match kind {
        UsageKind::HttpRequests => "ApiGatewayHttpRequest".to_owned(),
        UsageKind::RestRequests => "ApiGatewayRequest".to_owned(),
        UsageKind::Messages => "ApiGatewayMessage".to_owned(),
        UsageKind::ConnectionMinutes => "ApiGatewayMinute".to_owned(),
        UsageKind::DataTransferOut => "DataTransfer-Out-Bytes".to_owned(),
        UsageKind::Cache => format!(
            "ApiGatewayCacheUsage:{}GB",
            cache_gb.unwrap_or_default().normalize()
        ),
        UsageKind::Other => "Other".to_owned(),
    }
}

impl Offer {
    /// Reads any of AWS's layouts: the Price List CSV (starts with `"FormatVersion"`), the
    /// pricing page's JSON (`regions` and `manifest`; needs `reference` for its tiers), or the
    /// Price List JSON (offer file or `get-products` output).
    pub fn from_text(text: &str, reference: Option<&Offer>) -> Result<Offer, ImportError> {
        let head = text.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with("\"FormatVersion\"") || head.starts_with("FormatVersion") {
            return Offer::from_csv(text);
        }
        if head.starts_with('{') {
            let v: Value =
                serde_json::from_str(text).map_err(|e| ImportError::Json(e.to_string()))?;
            if v.get("regions").is_some() && v.get("manifest").is_some() {
                let reference = reference.ok_or(ImportError::NoReference)?;
                return Offer::from_pricing_page(&v, reference);
            }
        }
        Offer::from_json(text)
    }

    /// Reads the Price List bulk offer file in its CSV layout: metadata lines
    /// (`"Publication Date","…"`), a header row, then one row per price dimension.
    pub fn from_csv(text: &str) -> Result<Offer, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut publication_date = String::new();
        let mut header: Option<Vec<String>> = None;
        let mut by_sku: BTreeMap<String, Product> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 1;
            let record = record.map_err(|e| ImportError::Csv {
                line,
                problem: e.to_string(),
            })?;
            let Some(cols) = &header else {
                match record.get(0) {
                    Some("Publication Date") => {
                        publication_date = record.get(1).unwrap_or("").chars().take(10).collect();
                    }
                    Some("SKU") => header = Some(record.iter().map(str::to_owned).collect()),
                    _ => {}
                }
                continue;
            };
            let bad = |problem: String| ImportError::Csv { line, problem };
            let col = |name: &str| -> &str {
                cols.iter()
                    .position(|c| c == name)
                    .and_then(|i| record.get(i))
                    .unwrap_or("")
            };
            if col("TermType") != "OnDemand" {
                continue;
            }
            let usage_type = col("usageType");
            if UsageKind::of(usage_type) == UsageKind::Other {
                continue;
            }
            let number = |name: &str| {
                let v = col(name);
                decimal(v).ok_or_else(|| bad(format!("{name} {v:?} is not a number")))
            };
            let end = match col("EndingRange") {
                e if e.eq_ignore_ascii_case("inf") => None,
                _ => Some(number("EndingRange")?),
            };
            let dimension = Dimension {
                code: col("RateCode").rsplit('.').next().unwrap_or("").to_owned(),
                begin: number("StartingRange")?,
                end,
                usd: number("PricePerUnit")?,
            };
            let sku = col("SKU").to_owned();
            let product = by_sku.entry(sku.clone()).or_insert_with(|| Product {
                sku,
                usage_type: usage_type.to_owned(),
                region: col("Region Code").to_owned(),
                cache_gb: decimal(col("Cache Memory Size (GB)")),
                dimensions: Vec::new(),
            });
            product.dimensions.push(dimension);
        }
        if header.is_none() {
            return Err(ImportError::NotPriceList);
        }
        let mut products: Vec<Product> = by_sku.into_values().collect();
        products.retain(|p| !p.region.is_empty());
        for p in &mut products {
            p.dimensions.sort_by_key(|d| d.begin);
        }
        if products.is_empty() {
            return Err(ImportError::Empty);
        }
        if publication_date.is_empty() {
            return Err(ImportError::Undated);
        }
        Ok(Offer {
            publication_date,
            source: PRICE_LIST_SOURCE.to_owned(),
            products,
        })
    }

    /// Reads the pricing page's data (`regions` keyed by location name, each entry a rate code
    /// `SKU.TERM.DIMENSION` and a price under a readable name and under a hash, nothing else).
    ///
    /// What an entry is comes from two facts, both checked: a price-dimension code names one
    /// range (`beginRange`..`endRange`) in every product and region — `reference` (Price List
    /// data of any one region) gives each code's range, and a code with two ranges there is
    /// refused; and the page's readable names say which product a SKU is ("ApiGatewayHttpApi
    /// First 300 million", "API Calls Number of up to 333 million", "WebSocket Messages …",
    /// "WebSocket Connection Minutes", "Caching Memory Size 1 6"). A region may merge two tiers
    /// into one rate (São Paulo's REST "up to 333 million" and "next 667 million" are one rate,
    /// range 0..1 billion); the range, not the name, decides. Where `reference` holds the very
    /// same rate (its own region), product and price must agree with it.
    pub fn from_pricing_page(page: &Value, reference: &Offer) -> Result<Offer, ImportError> {
        let mut ranges: BTreeMap<&str, (Decimal, Option<Decimal>)> = BTreeMap::new();
        let mut exact: BTreeMap<String, (UsageKind, Decimal)> = BTreeMap::new();
        for p in &reference.products {
            for d in &p.dimensions {
                if let Some(r) = ranges.insert(d.code.as_str(), (d.begin, d.end))
                    && r != (d.begin, d.end)
                {
                    return Err(ImportError::Reference(format!(
                        "price dimension {} has two ranges ({}..{:?} and {}..{:?})",
                        d.code, r.0, r.1, d.begin, d.end
                    )));
                }
                exact.insert(
                    format!("{}.{}", p.sku, d.code),
                    (UsageKind::of(&p.usage_type), d.usd),
                );
            }
        }
        let publication_date: String = page
            .get("manifest")
            .and_then(|m| str_of(m, "hawkFilePublicationDate"))
            .unwrap_or("")
            .chars()
            .take(10)
            .collect();
        if publication_date.is_empty() {
            return Err(ImportError::Undated);
        }
        let regions = page
            .get("regions")
            .and_then(Value::as_object)
            .ok_or(ImportError::NotPriceList)?;
        let mut products = Vec::new();
        for (location, entries) in regions {
            let region_err = |problem: String| ImportError::Region {
                region: location.clone(),
                problem,
            };
            let region = LOCATIONS
                .iter()
                .find(|(l, _)| l == location)
                .map(|(_, r)| (*r).to_owned())
                .ok_or_else(|| region_err("no region code known for this location".to_owned()))?;
            let entries = entries
                .as_object()
                .ok_or_else(|| region_err("not an object".to_owned()))?;
            // rate code -> (price, what its readable names say it is).
            let mut by_rate: BTreeMap<&str, (Decimal, Option<PageName>)> = BTreeMap::new();
            for (name, e) in entries {
                let rate = str_of(e, "rateCode")
                    .ok_or_else(|| region_err(format!("{name}: no rateCode")))?;
                let price = str_of(e, "price").unwrap_or("");
                let usd = decimal(price).ok_or_else(|| {
                    region_err(format!("{name}: price {price:?} is not a number"))
                })?;
                let slot = by_rate.entry(rate).or_insert((usd, None));
                if slot.0 != usd {
                    return Err(region_err(format!("{rate} is priced twice, differently")));
                }
                if let Some(named) = kind_of_page_name(name) {
                    match slot.1 {
                        Some(k) if k != named => {
                            return Err(region_err(format!(
                                "{rate}: its names say {k:?} and {named:?}"
                            )));
                        }
                        _ => slot.1 = Some(named),
                    }
                }
            }
            let mut by_sku: BTreeMap<String, Product> = BTreeMap::new();
            for (rate, (usd, named)) in by_rate {
                let mut parts = rate.split('.');
                let (Some(sku), Some(_term), Some(code)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(region_err(format!(
                        "rate code {rate:?} is not SKU.TERM.DIMENSION"
                    )));
                };
                let (kind, cache_gb) =
                    named.ok_or_else(|| region_err(format!("rate {rate} has no readable name")))?;
                let &(begin, end) = ranges.get(code).ok_or_else(|| {
                    region_err(format!(
                        "rate {rate}: price dimension {code} is not in the reference data"
                    ))
                })?;
                if let Some((k, p)) = exact.get(&format!("{sku}.{code}"))
                    && (*k != kind || *p != usd)
                {
                    return Err(region_err(format!(
                        "rate {rate}: the reference data says {k:?} at {p}, the page {kind:?} at {usd}"
                    )));
                }
                let product = by_sku.entry(sku.to_owned()).or_insert_with(|| Product {
                    sku: sku.to_owned(),
                    usage_type: usage_type_of(kind, cache_gb),
                    region: region.clone(),
                    cache_gb,
                    dimensions: Vec::new(),
                });
                if UsageKind::of(&product.usage_type) != kind {
                    return Err(region_err(format!(
                        "SKU {sku} is named as two products ({} and {kind:?})",
                        product.usage_type
                    )));
                }
                product.dimensions.push(Dimension {
                    code: code.to_owned(),
                    begin,
                    end,
                    usd,
                });
            }
            for mut p in by_sku.into_values() {
                p.dimensions.sort_by_key(|d| d.begin);
                products.push(p);
            }
        }
        if products.is_empty() {
            return Err(ImportError::Empty);
        }
        Ok(Offer {
            publication_date,
            source: PRICING_PAGE_SOURCE.to_owned(),
            products,
        })
    }
}

/// A product kind and, for a cache, its size in GB.
type PageName = (UsageKind, Option<Decimal>);

/// What the pricing page's readable name of an entry says its product is
/// (`ApiGatewayHttpApi First 300 million`, `API Calls Number of up to 333 million`,
/// `WebSocket Messages Messages first 1 billion`, `WebSocket Connection Minutes`,
/// `Caching Memory Size 13 5` — 13.5 GB). The hash-named copies of each entry say nothing.
fn kind_of_page_name(name: &str) -> Option<PageName> {
    if let Some(size) = name.strip_prefix("Caching Memory Size ") {
        let gb = decimal(&size.trim().replacen(' ', ".", 1))?;
        return Some((UsageKind::Cache, Some(gb.normalize())));
    }
    let kind = if name.starts_with("ApiGatewayHttpApi ") {
        UsageKind::HttpRequests
    } else if name.starts_with("API Calls ") {
        UsageKind::RestRequests
    } else if name.starts_with("WebSocket Messages ") {
        UsageKind::Messages
    } else if name == "WebSocket Connection Minutes" {
        UsageKind::ConnectionMinutes
    } else {
        return None;
    };
    Some((kind, None))
}

/// A product's dimensions as tiers: `unit_scale` units of the data make one unit of the book
/// (1 for requests, messages, minutes; 2^30 for data transfer priced per GB).
fn tiers_of(p: &Product, unit_scale: Decimal) -> Result<Vec<Tier>, String> {
    if p.dimensions.is_empty() {
        return Err(format!(
            "product {} ({}) has no on-demand price",
            p.sku, p.usage_type
        ));
    }
    let mut out = Vec::new();
    let mut expected_begin = Decimal::ZERO;
    for (i, d) in p.dimensions.iter().enumerate() {
        if d.begin != expected_begin {
            return Err(format!(
                "product {} ({}): ranges are not contiguous at {}",
                p.sku, p.usage_type, d.begin
            ));
        }
        let last = i + 1 == p.dimensions.len();
        let up_to = match d.end {
            None if last => None,
            None => {
                return Err(format!(
                    "product {} ({}): an unbounded range before the last",
                    p.sku, p.usage_type
                ));
            }
            Some(e) => {
                expected_begin = e;
                let units = e * unit_scale;
                if !units.fract().is_zero() {
                    return Err(format!("product {}: endRange {e} is not whole", p.sku));
                }
                Some(
                    u64::try_from(units)
                        .map_err(|_| format!("product {}: endRange {e} is too large", p.sku))?,
                )
            }
        };
        out.push(Tier {
            up_to,
            unit_price: d.usd / unit_scale,
        });
    }
    // A last range with an end (a bounded table) is priced on past its end, like the book does.
    if let Some(t) = out.last_mut() {
        t.up_to = None;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// (beginRange, endRange, USD) of one price dimension.
    type Dim = (&'static str, &'static str, &'static str);
    /// A usage type and its dimensions.
    type Prod = (&'static str, &'static [Dim]);

    /// A get-products answer with one product per (usage type, ranges), region `r1`.
    fn offer(products: &[Prod]) -> String {
        let list: Vec<String> = products
            .iter()
            .enumerate()
            .map(|(i, (ut, dims))| {
                let dims: Vec<String> = dims
                    .iter()
                    .enumerate()
                    .map(|(j, (b, e, usd))| {
                        format!(
                            r#""d{j}":{{"beginRange":"{b}","endRange":"{e}","pricePerUnit":{{"USD":"{usd}"}}}}"#
                        )
                    })
                    .collect();
                let entry = format!(
                    r#"{{"publicationDate":"2026-11-01T00:00:00Z","product":{{"sku":"S{i}","attributes":{{"usagetype":"R1-{ut}","regionCode":"r1"}}}},"terms":{{"OnDemand":{{"S{i}.T":{{"priceDimensions":{{{}}}}}}}}}}}"#,
                    dims.join(",")
                );
                serde_json::to_string(&entry).unwrap()
            })
            .collect();
        format!(r#"{{"PriceList":[{}]}}"#, list.join(","))
    }

    const BASE: [Prod; 4] = [
        ("ApiGatewayHttpRequest", &[("0", "Inf", "0.000001")]),
        ("ApiGatewayRequest", &[("0", "Inf", "0.0000035")]),
        ("ApiGatewayMessage", &[("0", "Inf", "0.000001")]),
        ("ApiGatewayMinute", &[("0", "Inf", "0.00000025")]),
    ];

    fn import(products: &[Prod]) -> Result<ImportedBook, ImportError> {
        Offer::from_json(&offer(products))?.book("r1", &PriceBook::aws_us_east_1())
    }

    #[test]
    fn a_minimal_region_imports_with_warnings() {
        let b = import(&BASE).unwrap();
        assert_eq!(b.book.meta.name, "aws-r1");
        assert_eq!(b.book.http_api.tiers.len(), 1);
        assert!(b.book.rest_api.cache.is_empty());
        assert_eq!(b.warnings.len(), 2, "{:?}", b.warnings);
    }

    #[test]
    fn scientific_prices_are_exact() {
        let mut p = BASE.to_vec();
        p[0] = ("ApiGatewayHttpRequest", &[("0", "Inf", "1.0E-6")]);
        let b = import(&p).unwrap();
        assert_eq!(
            b.book.http_api.tiers[0].unit_price,
            "0.000001".parse().unwrap()
        );
    }

    #[test]
    fn broken_ranges_are_refused() {
        let mut p = BASE.to_vec();
        p[0] = (
            "ApiGatewayHttpRequest",
            &[
                ("0", "300000000", "0.000001"),
                ("300000001", "Inf", "0.0000009"),
            ],
        );
        let e = import(&p).unwrap_err().to_string();
        assert!(e.contains("not contiguous at 300000001"), "{e}");
        p[0] = (
            "ApiGatewayHttpRequest",
            &[("0", "Inf", "0.000001"), ("300000000", "Inf", "0.0000009")],
        );
        let e = import(&p).unwrap_err().to_string();
        assert!(e.contains("contiguous") || e.contains("unbounded"), "{e}");
    }

    #[test]
    fn two_products_that_disagree_are_refused_and_a_missing_line_is_named() {
        let mut p = BASE.to_vec();
        p.push(("ApiGatewayHttpRequest", &[("0", "Inf", "0.000002")]));
        let e = import(&p).unwrap_err().to_string();
        assert!(e.contains("price it differently"), "{e}");
        let e = import(&BASE[..3]).unwrap_err().to_string();
        assert_eq!(e, "region r1: no ApiGatewayMinute price in the data");
    }

    #[test]
    fn undated_data_is_refused() {
        let text = offer(&BASE).replace(r#"\"publicationDate\":\"2026-11-01T00:00:00Z\","#, "");
        assert_eq!(Offer::from_json(&text), Err(ImportError::Undated));
    }
}
