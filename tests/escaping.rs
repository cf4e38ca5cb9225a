//! Every string taken from a packet or a topology file is escaped in each output that has a syntax: pods named
//! `</script><script>alert(1)</script>` and worse stay text in the HTML dump opened in headless Chromium (no
//! script of theirs runs, no element of theirs exists), in the Markdown dump (no raw markup), in JSON (read back
//! exactly) and in CSV (read back exactly by Python's csv module).

use std::path::{Path, PathBuf};
use std::process::Command;

use vxscope_tests::TempDir;
use vxscope_tests::{
    chromium, console_messages, require_tool, root, sample, stderr, stdout, vxscope,
};

/// Pod names that would run script or make elements if written raw into HTML, or break a Markdown table.
const HOSTILE: [&str; 3] = [
    "</script><script>alert(1)</script>",
    "</script><script>document.title='pwned'</script>",
    "``<img/src=x/onerror=document.title='pwned'>``|**x**&lt;b&gt;",
];

/// The seed's pods list with the two pods of the seed packet renamed to two of the hostile names: `which` 0
/// for the first two, 1 for the last and the first; `None` for the list as it is.
fn pods_list(dir: &TempDir, which: Option<usize>) -> PathBuf {
    let pods = std::fs::read_to_string(sample("flannel/seed-pods.txt")).unwrap();
    let renamed = match which {
        None => pods,
        Some(w) => pods
            .replace("busybox-deployment-6576988595-dbpq7", HOSTILE[[0, 2][w]])
            .replace("busybox-deployment-6576988595-l5w7r", HOSTILE[[1, 0][w]]),
    };
    let path = dir.path(&format!("pods-{which:?}.txt"));
    std::fs::write(&path, renamed).unwrap();
    path
}

fn topology_args(pods: &Path) -> Vec<String> {
    vec![
        "--nodes".into(),
        root()
            .join("samples/flannel/nodes.json")
            .display()
            .to_string(),
        "--pods".into(),
        pods.display().to_string(),
    ]
}

/// Elements and title of an HTML document, counted by Python's html.parser (an independent HTML tokenizer).
fn elements(html: &Path) -> String {
    let script = r#"
import sys, html.parser, collections
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.tags = collections.Counter(); self.in_title = False; self.title = ""
    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if tag == "title": self.in_title = True
        for k, v in attrs:
            if k.startswith("on"): self.tags["handler " + k] += 1
    def handle_endtag(self, tag):
        if tag == "title": self.in_title = False
    def handle_data(self, d):
        if self.in_title: self.title += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print("title", repr(p.title))
for k in sorted(p.tags): print(k, p.tags[k])
"#;
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(html)
        .output()
        .expect("run /usr/bin/python3");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn hostile_pod_names_stay_text_in_the_html_dump_in_chromium() {
    require_tool("chromium");
    let dir = TempDir::new("escape-html");
    let seed = sample("seed.pcap");
    let mut doms = Vec::new();
    for (name, which) in [("plain", None), ("hostile", Some(0)), ("hostile2", Some(1))] {
        let pods = pods_list(&dir, which);
        let page = dir.path(&format!("{name}.html"));
        let mut args = vec![
            "hexdump".to_string(),
            seed.display().to_string(),
            "--format".into(),
            "html".into(),
            "-o".into(),
            page.display().to_string(),
        ];
        args.extend(topology_args(&pods));
        let out = vxscope(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let html = std::fs::read_to_string(&page).unwrap();
        if which.is_some() {
            // The names are in the page, escaped (the dump names the pods of the seed packet).
            assert!(
                html.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
                "the pod name is not in the page as text"
            );
            assert!(!html.contains(HOSTILE[0]) && !html.contains(HOSTILE[1]));
        }
        let url = format!("file://{}", page.display());
        let out = chromium(&dir.path(&format!("profile-{name}")), &["--dump-dom"], &url);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            console_messages(&out).is_empty(),
            "{name}: console: {:?}",
            console_messages(&out)
        );
        let dom = dir.path(&format!("{name}.dom.html"));
        std::fs::write(&dom, &out.stdout).unwrap();
        doms.push((elements(&page), elements(&dom)));
    }
    // The page, as written and as Chromium left it after running its script: the same elements, the same
    // title and the same event handlers with the hostile names as without them. Had a name escaped, its script
    // would have set the title, or its element would be counted.
    for hostile in &doms[1..] {
        assert_eq!(hostile.0, doms[0].0, "the page as written");
        assert_eq!(hostile.1, doms[0].1, "the page after its script ran");
        assert!(!hostile.1.contains("pwned") && !hostile.1.contains("img "));
    }
}

/// Markdown rendered to HTML by pulldown-cmark (CommonMark with GitHub's tables), as a viewer would.
fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
    out
}

#[test]
fn hostile_pod_names_stay_text_in_markdown_json_and_svg() {
    let dir = TempDir::new("escape-text");
    let seed = sample("seed.pcap").display().to_string();
    let mut rendered = Vec::new();
    for which in [None, Some(0), Some(1)] {
        let topo = topology_args(&pods_list(&dir, which));
        let mut args = vec![
            "hexdump".to_string(),
            seed.clone(),
            "--format".into(),
            "markdown".into(),
        ];
        args.extend(topo.clone());
        let out = vxscope(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let md = stdout(&out);
        let html = dir.path(&format!("md-{which:?}.html"));
        std::fs::write(&html, markdown_to_html(&md)).unwrap();
        let tags = elements(&html);
        if let Some(w) = which {
            assert!(
                md.contains(["alert(1)", "pwned"][w]),
                "the pod names are in the dump"
            );
            // The same elements (table rows and cells, code spans) as with ordinary names: nothing of the
            // names became markup.
            assert_eq!(tags, rendered[0], "{md}");
        }
        rendered.push(tags);

        let mut args = vec!["dissect".to_string(), "--json".into(), seed.clone()];
        args.extend(topo.clone());
        let out = vxscope(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let frame: serde_json::Value =
            serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
        if let Some(w) = which {
            for name in [[HOSTILE[0], HOSTILE[1]], [HOSTILE[2], HOSTILE[0]]][w] {
                assert!(
                    frame["fields"]
                        .as_object()
                        .unwrap()
                        .values()
                        .any(|v| v.as_str().is_some_and(|s| s.contains(name))),
                    "{name} read back from the JSON: {}",
                    frame["fields"]
                );
            }
        }

        let mut args = vec![
            "hexdump".to_string(),
            seed.clone(),
            "--format".into(),
            "svg".into(),
            "--frame".into(),
            "1".into(),
        ];
        args.extend(topo);
        let out = vxscope(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let svg = stdout(&out);
        assert!(
            !svg.contains("<script") && !svg.contains("<img"),
            "raw markup in the picture"
        );
    }
}

#[test]
fn csv_cells_are_read_back_exactly() {
    // `vxscope compare --csv` writes the captures' names into its rows: names with commas, quotes and a line
    // break are read back exactly by Python's csv module.
    let dir = TempDir::new("escape-csv");
    let seed = std::fs::read(sample("seed.pcap")).unwrap();
    let names = ["hop, \"one\".pcap", "hop\ntwo.pcap"];
    let paths: Vec<PathBuf> = names.iter().map(|n| dir.path(n)).collect();
    for p in &paths {
        std::fs::write(p, &seed).unwrap();
    }
    let out = vxscope([
        "compare".as_ref(),
        "--csv".as_ref(),
        paths[0].as_os_str(),
        paths[1].as_os_str(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = dir.path("out.csv");
    std::fs::write(&csv, &out.stdout).unwrap();
    let read = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", stderr(&read));
    let rows: Vec<Vec<String>> = serde_json::from_slice(&read.stdout).unwrap();
    assert!(rows.len() >= 2, "{rows:?}");
    let cells: Vec<&String> = rows[1..].iter().flatten().collect();
    for n in names {
        assert!(
            cells.iter().any(|c| c.as_str() == n || c.ends_with(n)),
            "{n:?} not read back: {rows:?}"
        );
    }
}

#[test]
fn fields_output_with_double_quotes_is_csv_read_back_exactly() {
    // `dissect -T fields -E separator=, -E quote=d` (tshark's CSV): a pod name with a comma and quotes is one
    // cell, read back exactly by Python's csv module.
    let dir = TempDir::new("escape-fields");
    let pods = std::fs::read_to_string(sample("flannel/seed-pods.txt")).unwrap();
    let name = "a,\"b\"c</td>";
    let path = dir.path("pods.txt");
    std::fs::write(
        &path,
        pods.replace("busybox-deployment-6576988595-dbpq7", name),
    )
    .unwrap();
    let mut args: Vec<String> = [
        "dissect",
        "-T",
        "fields",
        "-e",
        "flannel.src_pod",
        "-e",
        "ip.src",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(["-E", "separator=,", "-E", "quote=d", "-E", "header=y"].map(String::from));
    args.push(sample("seed.pcap").display().to_string());
    args.extend(topology_args(&path));
    let out = vxscope(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = dir.path("out.csv");
    std::fs::write(&csv, &out.stdout).unwrap();
    let read = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import csv,sys,json; print(json.dumps(list(csv.reader(open(sys.argv[1], newline='')))))",
        ])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(read.status.success(), "{}", stderr(&read));
    let rows: Vec<Vec<String>> = serde_json::from_slice(&read.stdout).unwrap();
    assert_eq!(rows[0], ["flannel.src_pod", "ip.src"]);
    assert_eq!(rows[1], [name, "172.16.100.101"]);
}
