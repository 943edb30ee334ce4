/// The console's style sheet and script, served from the admin server itself: the Content-Security-Policy
/// allows scripts and styles from this origin only, never inline.
enum ConsoleAssets {
    static let css = """
        :root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --line: #d5dae0; --bg: #ffffff; --panel: #f4f6f8;
          --bad: #b42318; --ok: #067647; --warn: #9a6700; --accent: #1f5fbf; }
        @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --muted: #9aa4b0; --line: #36404b; --bg: #14181d; --panel: #1d232a;
          --bad: #f97066; --ok: #47cd89; --warn: #e3b341; --accent: #79a8ff; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .6rem 1.2rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        .brand { font-weight: 700; }
        nav { display: flex; gap: .9rem; flex-wrap: wrap; }
        nav a { color: var(--accent); text-decoration: none; }
        nav a[aria-current=page] { color: var(--fg); font-weight: 600; border-bottom: 2px solid var(--accent); }
        .served-by { margin-left: auto; color: var(--muted); }
        main { padding: 1rem 1.2rem 3rem; max-width: 72rem; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
        table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
        th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        td.bar meter { width: 10rem; }
        .cards { display: flex; flex-wrap: wrap; gap: .8rem; }
        .card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .9rem; min-width: 9rem; }
        .card .label { display: block; color: var(--muted); font-size: .8rem; }
        .card .value { font-size: 1.5rem; font-weight: 600; font-variant-numeric: tabular-nums; }
        .banner { margin: 0; padding: .5rem 1.2rem; background: var(--panel); color: var(--warn); border-bottom: 1px solid var(--line); }
        .checks li.ok strong { color: var(--ok); } .checks li.failing strong { color: var(--bad); }
        .bad { color: var(--bad); } .good { color: var(--ok); } .note { color: var(--muted); }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
        dl.fields dt { color: var(--muted); } dl.fields dd { margin: 0; overflow-wrap: anywhere; }
        form.stacked { display: grid; gap: .6rem; max-width: 36rem; }
        form.stacked label { display: grid; gap: .2rem; } form.stacked label.check { display: block; }
        form.inline { display: inline; }
        input, select, textarea, button { font: inherit; }
        button { padding: .3rem .9rem; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); color: var(--fg); cursor: pointer; }
        code { font-size: .9em; }
        """

    /// Live updates: a page whose `main` has `data-refresh` fetches itself every so many seconds
    /// and swaps its `main` in. Without JavaScript the page is whole as served.
    static let javaScript = """
        "use strict";
        (function () {
          var main = document.querySelector("main[data-refresh]");
          if (!main) { return; }
          var seconds = Math.max(2, parseInt(main.getAttribute("data-refresh"), 10) || 5);
          function refresh() {
            fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (!html) { return; }
                var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
                if (fresh) { main.replaceChildren.apply(main, Array.from(fresh.childNodes)); }
              })
              .catch(function () {})
              .finally(function () { window.setTimeout(refresh, seconds * 1000); });
          }
          window.setTimeout(refresh, seconds * 1000);
        })();
        """
}
