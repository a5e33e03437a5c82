//! The demo's layout as data, before any request: the 18 environments and the 100 rows of
//! `system-databases`, each with where its database lives, which of the four ID cells it fills
//! (and in which shape), its `Sync` value and the defect it carries. The builder turns this plan
//! into requests; the counts of the gap report are checked on the plan before anything is sent.

use super::RegistryDefect;
use super::content::{
    BRAND_ASSETS, CLIENT_FEEDBACK, CONTACTS, CONTENT_CALENDAR, SHARED_ROADMAP, SourceSpec, TASKS,
};

/// Which token an environment's `Primary-Token` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenPlan {
    /// The token of its own workspace's integration; `valid: false` is revoked at the end.
    OwnWorkspace {
        /// Whether the token stays valid.
        valid: bool,
    },
    /// A second integration of the control workspace, revoked at the end.
    SecondControlIntegration,
    /// No token.
    Absent,
}

/// One row of `system-environments`.
#[derive(Debug, Clone, Copy)]
pub(super) struct EnvironmentPlan {
    /// `Name`.
    pub(super) name: &'static str,
    /// `Environment-Type`.
    pub(super) environment_type: &'static str,
    /// `Primary-Token`.
    pub(super) token: TokenPlan,
    /// How many pages titled exactly `database-parent-page` its workspace has.
    pub(super) database_parent_pages: usize,
    /// The `system-databases` rows it relates to, by name.
    pub(super) related: &'static [&'static str],
}

/// The VibeVessel environment: the one valid client token.
pub(super) const VIBEVESSEL: &str = "VibeVessel Client Workspace";
/// The environment with two pages titled `database-parent-page`.
pub(super) const OCEAN_FRONTIERS: &str = "Ocean Frontiers / Compass Point";
/// The environment of the revoked second integration of the control workspace.
pub(super) const PRIMARY: &str = "Primary (Seren Media)";

/// The 18 environments, in the order their rows are created.
pub(super) const ENVIRONMENTS: [EnvironmentPlan; 18] = [
    env(
        PRIMARY,
        "Primary",
        TokenPlan::SecondControlIntegration,
        0,
        &["Newsletter Issues", "Analytics Reports"],
    ),
    env(
        VIBEVESSEL,
        "Client",
        TokenPlan::OwnWorkspace { valid: true },
        1,
        &[
            "Tasks",
            "Content Calendar",
            "Contacts",
            "Client Feedback",
            "Shared Roadmap",
            "Brand Assets",
        ],
    ),
    env(
        "Ocean Frontiers + Compass Point Client Workspace",
        "Client",
        TokenPlan::OwnWorkspace { valid: false },
        0,
        &["Social Posts", "Blog Posts"],
    ),
    env(
        "Harbor Lights Client Workspace",
        "Client",
        TokenPlan::Absent,
        0,
        &[],
    ),
    env(
        "Seren Legacy Workspace",
        "Legacy",
        TokenPlan::OwnWorkspace { valid: false },
        0,
        &["Ad Spend"],
    ),
    env("Northwind Studio", "Client", TokenPlan::Absent, 0, &[]),
    env(
        OCEAN_FRONTIERS,
        "Client",
        TokenPlan::OwnWorkspace { valid: false },
        2,
        &["SEO Keywords", "Social Posts"],
    ),
    env(
        "Bluebird Bakery Client Workspace",
        "Client",
        TokenPlan::Absent,
        0,
        &[],
    ),
    env(
        "Archive",
        "Archive",
        TokenPlan::OwnWorkspace { valid: false },
        0,
        &["Press Contacts"],
    ),
    env("Juniper & Sage", "Client", TokenPlan::Absent, 0, &[]),
    env("Kestrel Outdoor", "Client", TokenPlan::Absent, 0, &[]),
    env(
        "Notion Workspace Archive",
        "Archive",
        TokenPlan::OwnWorkspace { valid: false },
        0,
        &["Video Production"],
    ),
    env("Maple Row Dental", "Client", TokenPlan::Absent, 0, &[]),
    env("Tidewater Films", "Client", TokenPlan::Absent, 0, &[]),
    env(
        "Atlas Fitness Client Workspace",
        "Client",
        TokenPlan::Absent,
        0,
        &[],
    ),
    env("Lumen Labs", "Client", TokenPlan::Absent, 0, &[]),
    env("Seren Media 2022", "Archive", TokenPlan::Absent, 0, &[]),
    env("Old Client Projects", "Archive", TokenPlan::Absent, 0, &[]),
];

const fn env(
    name: &'static str,
    environment_type: &'static str,
    token: TokenPlan,
    database_parent_pages: usize,
    related: &'static [&'static str],
) -> EnvironmentPlan {
    EnvironmentPlan {
        name,
        environment_type,
        token,
        database_parent_pages,
        related,
    }
}

/// Where the object a registry row names lives.
#[derive(Debug, Clone, Copy)]
pub(super) enum Location {
    /// A database under the control workspace's `Databases` page (with rows if `spec` says so).
    Control,
    /// A database under the control workspace's `Private` page, never shared with the control
    /// integration.
    Private,
    /// A database under VibeVessel's `database-parent-page`.
    VibeVessel,
    /// A plain page (not a database) under `Databases`.
    Page,
}

/// How an ID is written in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdForm {
    /// `0123abcd-…` (36 characters).
    Dashed,
    /// 32 hex digits.
    Simple,
}

/// What the `Data Source ID` cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataSourceCell {
    /// Nothing.
    Empty,
    /// The row's own data source.
    Own(IdForm),
    /// The data source of another row's database (by that row's name).
    OtherRow(&'static str),
}

/// What the `Database ID` cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DatabaseCell {
    /// Nothing.
    Empty,
    /// The row's database ID (dashed).
    Own,
    /// The row's data-source ID: the wrong kind of ID.
    OwnDataSource,
}

/// The shape of the `Database URL` cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UrlShape {
    /// Nothing.
    Empty,
    /// `https://www.notion.so/<slug>-<32hex>`.
    Slug,
    /// `https://www.notion.so/seren-media/<slug>-<32hex>`.
    WorkspaceSlug,
    /// `https://app.notion.com/p/<32hex>`.
    AppPath,
    /// A slug link with `?v=<view>`.
    WithView,
    /// A slug link with `?v=<view>&p=<row>&pm=s` (a row opened in peek).
    WithViewAndPeek,
    /// A slug link whose ID has 31 hex digits.
    Malformed,
}

/// One row of `system-databases`.
#[derive(Debug, Clone)]
pub(super) struct RowPlan {
    /// `Name` (may be empty).
    pub(super) name: String,
    /// The title of the database (or page) the row names.
    pub(super) object_title: String,
    /// Where it lives.
    pub(super) location: Location,
    /// The content of its database, when it has rows.
    pub(super) spec: Option<SourceSpec>,
    /// Whether its database gets a second data source.
    pub(super) second_data_source: bool,
    /// `Data Source ID`.
    pub(super) data_source_cell: DataSourceCell,
    /// `Database ID`.
    pub(super) database_cell: DatabaseCell,
    /// `NID` (the database ID as 32 hex digits).
    pub(super) nid: bool,
    /// `Database URL`.
    pub(super) url: UrlShape,
    /// `Sync` (`None`: empty).
    pub(super) sync: Option<&'static str>,
    /// `Sync Content`: whether the page content of its rows is copied too.
    pub(super) sync_content: bool,
    /// The defect it is there to show.
    pub(super) defect: Option<RegistryDefect>,
}

impl RowPlan {
    fn new(name: &str, location: Location, url: UrlShape) -> Self {
        Self {
            name: name.to_owned(),
            object_title: name.to_owned(),
            location,
            spec: None,
            second_data_source: false,
            data_source_cell: DataSourceCell::Empty,
            database_cell: DatabaseCell::Empty,
            nid: false,
            url,
            sync: None,
            sync_content: false,
            defect: None,
        }
    }

    fn synced(spec: SourceSpec, location: Location, url: UrlShape, sync: &'static str) -> Self {
        Self {
            spec: Some(spec),
            sync: Some(sync),
            ..Self::new(spec.title, location, url)
        }
    }

    fn data_source(mut self, cell: DataSourceCell) -> Self {
        self.data_source_cell = cell;
        self
    }

    fn database(mut self, cell: DatabaseCell) -> Self {
        self.database_cell = cell;
        self
    }

    fn nid(mut self) -> Self {
        self.nid = true;
        self
    }

    fn sync(mut self, sync: &'static str) -> Self {
        self.sync = Some(sync);
        self
    }

    fn with_content(mut self) -> Self {
        self.sync_content = true;
        self
    }

    fn defect(mut self, defect: RegistryDefect) -> Self {
        self.defect = Some(defect);
        self
    }
}

/// The 40 names of ordinary databases (the second 40 are the same with a year).
const ORDINARY_NAMES: [&str; 40] = [
    "Projects",
    "Sprints",
    "Bugs",
    "Vendors",
    "Equipment",
    "Locations",
    "Talent",
    "Music Licenses",
    "Stock Footage",
    "Social Posts",
    "Newsletter Issues",
    "Blog Posts",
    "SEO Keywords",
    "Ad Spend",
    "Analytics Reports",
    "Press Contacts",
    "Video Production",
    "Shot Lists",
    "Deliverables",
    "Approvals",
    "Client Portal",
    "Release Notes",
    "OKRs",
    "Hiring Pipeline",
    "Candidates",
    "Onboarding",
    "Knowledge Base",
    "SOPs",
    "Timesheets",
    "Contracts",
    "Quotes",
    "Leads",
    "Deals",
    "Partners",
    "Events",
    "Reading List",
    "Templates",
    "Asset Library",
    "Research Notes",
    "Competitors",
];

/// The rows that show something: the synced databases and one row per defect.
fn special_rows() -> Vec<RowPlan> {
    use DataSourceCell::{OtherRow, Own};
    use IdForm::{Dashed, Simple};
    use Location::{Control, Page, Private, VibeVessel};
    use RegistryDefect as D;
    vec![
        RowPlan::synced(TASKS, Control, UrlShape::WithViewAndPeek, "Push")
            .data_source(Own(Dashed))
            .with_content(),
        RowPlan::synced(CONTENT_CALENDAR, Control, UrlShape::WithView, "Push"),
        RowPlan::synced(CONTACTS, Control, UrlShape::AppPath, "One-Way").data_source(Own(Simple)),
        RowPlan::synced(CLIENT_FEEDBACK, VibeVessel, UrlShape::Slug, "Pull")
            .database(DatabaseCell::Own),
        RowPlan::synced(SHARED_ROADMAP, Control, UrlShape::Slug, "Two-Way").nid(),
        RowPlan::synced(BRAND_ASSETS, Control, UrlShape::Slug, "Sometimes")
            .data_source(Own(Dashed)),
        RowPlan::new("Expenses", Control, UrlShape::Slug)
            .data_source(OtherRow("Vendors"))
            .sync("No Sync")
            .defect(D::ConflictingDataSourceId),
        RowPlan::new("Proposals", Control, UrlShape::Malformed).defect(D::MalformedUrl),
        RowPlan::new("Style Guide", Page, UrlShape::Slug)
            .sync("No Sync")
            .defect(D::UrlIsAPage),
        RowPlan::new("Time Tracking", Control, UrlShape::Slug)
            .database(DatabaseCell::OwnDataSource)
            .defect(D::DatabaseIdIsADataSource),
        RowPlan::new("Legacy Tracker", Control, UrlShape::Empty)
            .sync("No Sync")
            .defect(D::NoIdSource),
        RowPlan::new("Retainers", Control, UrlShape::Empty).database(DatabaseCell::Own),
        RowPlan::new("Podcast Episodes", Control, UrlShape::Empty)
            .nid()
            .sync("No Sync"),
        RowPlan {
            second_data_source: true,
            ..RowPlan::new("Campaigns", Control, UrlShape::Slug).defect(D::TwoDataSources)
        },
        RowPlan::new("Payroll", Private, UrlShape::Slug).defect(D::Unshared),
        RowPlan::new("HR Reviews", Private, UrlShape::WorkspaceSlug)
            .data_source(Own(Simple))
            .sync("No Sync")
            .defect(D::Unshared),
        RowPlan::new("Board Minutes", Private, UrlShape::AppPath).defect(D::Unshared),
        RowPlan::new("Invoices", Control, UrlShape::Slug)
            .data_source(Own(Dashed))
            .sync("No Sync")
            .defect(D::DuplicateName),
        RowPlan::new("Invoices", Control, UrlShape::AppPath).defect(D::DuplicateName),
        RowPlan {
            name: String::new(),
            ..RowPlan::new("Meeting Notes", Control, UrlShape::Slug).defect(D::EmptyName)
        },
        // Four with only a Data Source ID (no link).
        RowPlan::new("Brand Guidelines", Control, UrlShape::Empty).data_source(Own(Dashed)),
        RowPlan::new("Client Onboarding", Control, UrlShape::Empty)
            .data_source(Own(Simple))
            .sync("No Sync"),
        RowPlan::new("Studio Bookings", Control, UrlShape::Empty).data_source(Own(Simple)),
        RowPlan::new("Gear Checkout", Control, UrlShape::Empty).data_source(Own(Dashed)),
    ]
}

/// The rows of nothing in particular: 76 databases with links in the usual shapes.
fn ordinary_rows(count: usize, pushed: &[&str]) -> Vec<RowPlan> {
    (0..count)
        .map(|k| {
            let base = ORDINARY_NAMES[k % ORDINARY_NAMES.len()];
            let name = if k < ORDINARY_NAMES.len() {
                base.to_owned()
            } else {
                format!("{base} ({})", 2023 + k % 3)
            };
            let url = if k % 7 == 3 {
                UrlShape::AppPath
            } else if k % 5 == 2 {
                UrlShape::WorkspaceSlug
            } else {
                UrlShape::Slug
            };
            let mut row = RowPlan::new(&name, Location::Control, url);
            if k % 4 == 1 {
                let form = if k % 8 == 1 {
                    IdForm::Dashed
                } else {
                    IdForm::Simple
                };
                row.data_source_cell = DataSourceCell::Own(form);
            }
            if k % 9 == 4 {
                row.database_cell = DatabaseCell::Own;
            }
            if k % 11 == 6 {
                row.nid = true;
            }
            row.sync = if pushed.contains(&name.as_str()) {
                Some("Push")
            } else if k % 3 == 0 {
                None
            } else {
                Some("No Sync")
            };
            row
        })
        .collect()
}

/// The 100 rows of `system-databases`, in the order they are created: the special rows spread
/// among the ordinary ones.
pub(super) fn registry_rows() -> Vec<RowPlan> {
    let pushed: Vec<&str> = ENVIRONMENTS
        .iter()
        .filter(|e| e.name != VIBEVESSEL)
        .flat_map(|e| e.related.iter().copied())
        .collect();
    let special = special_rows();
    let mut rows = ordinary_rows(super::DemoWorld::DATABASES - special.len(), &pushed);
    for (i, row) in special.into_iter().enumerate() {
        let at = (i * 4 + 1).min(rows.len());
        rows.insert(at, row);
    }
    rows
}
