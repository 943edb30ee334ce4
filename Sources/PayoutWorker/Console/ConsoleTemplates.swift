import Mustache

/// The console's pages as Mustache templates, compiled into the binary so a single executable
/// serves them. `{{name}}` escapes HTML; the one triple-brace value, the layout's `content`, is a
/// page these templates rendered.
enum ConsoleTemplates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in all {
            // The templates are constants of this file: one that does not compile is a bug of this build,
            // which the console's first test finds.
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("console template \(name) does not compile: \(error)")
            }
        }
        return library
    }()

    static let all: [(String, String)] = [
        ("layout", layout), ("overview", overview), ("review", review), ("payouts", payouts), ("payout", payout),
        ("wallets", wallets), ("dead-letters", deadLetters), ("result", result), ("sign-in", signIn),
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · payout-worker console</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        <header>
        <span class="brand">payout-worker</span>
        <nav>{{#nav}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}</nav>
        <span class="served-by">{{servedBy}}</span>
        {{#signOutCSRF}}<form method="post" action="/console/sign-out" class="inline"><input type="hidden" name="csrf" value="{{signOutCSRF}}"><button>Sign out</button></form>{{/signOutCSRF}}
        </header>
        {{#readOnly}}<p class="banner">Read-only: no admin token is configured (PAYOUT_ADMIN_TOKEN), so nothing can be changed from this console.</p>{{/readOnly}}
        <main{{#refreshSeconds}} data-refresh="{{refreshSeconds}}"{{/refreshSeconds}}>
        {{{content}}}
        </main>
        </body>
        </html>
        """

    static let overview = """
        <h1>Overview</h1>
        <section class="cards" aria-label="Payouts by status">
        {{#statusCounts}}<div class="card"><span class="label">{{status}}</span><span class="value" data-status="{{status}}">{{count}}</span></div>{{/statusCounts}}
        </section>
        <section>
        <h2>Needs attention</h2>
        <ul class="facts">
        <li><a href="/console/review">Review queue</a>: <strong id="review-count">{{reviewCount}}</strong> waiting{{#reviewOldest}}, the oldest for {{reviewOldest}}{{/reviewOldest}}</li>
        <li>Outbox: <strong id="outbox-backlog">{{outboxBacklog}}</strong> status events not yet published</li>
        <li><a href="/console/dead-letters">Kept dead letters</a> not yet sent: <strong>{{unsentDeadLetters}}</strong></li>
        </ul>
        </section>
        <section>
        <h2>Held funds</h2>
        {{^empty(wallets)}}<table><thead><tr><th>Wallet</th><th>Currency</th><th class="num">Held</th><th class="num">Available</th></tr></thead><tbody>
        {{#wallets}}<tr><td>{{walletID}}</td><td>{{currency}}</td><td class="num">{{held}}</td><td class="num">{{available}}</td></tr>{{/wallets}}
        </tbody></table>{{/empty(wallets)}}{{#empty(wallets)}}<p>No wallet is declared.</p>{{/empty(wallets)}}
        </section>
        <section>
        <h2>Finished per minute, last 15 minutes (all workers)</h2>
        {{^empty(throughput)}}<table><thead><tr><th>Minute (UTC)</th><th class="num">Completed</th><th class="num">Failed</th><th class="num">Review</th><th></th></tr></thead><tbody>
        {{#throughput}}<tr><td>{{minute}}</td><td class="num">{{completed}}</td><td class="num">{{failed}}</td><td class="num">{{review}}</td><td class="bar"><meter min="0" max="{{peak}}" value="{{total}}">{{total}}</meter></td></tr>{{/throughput}}
        </tbody></table>{{/empty(throughput)}}{{#empty(throughput)}}<p>No payout finished in the last 15 minutes.</p>{{/empty(throughput)}}
        </section>
        <section>
        <h2>This worker</h2>
        {{#isWorker}}
        <h3>Dollr execute latency</h3>
        {{^empty(latency)}}<table><thead><tr>{{#latency}}<th class="num">p{{percentile}}</th>{{/latency}}<th class="num">calls</th></tr></thead><tbody><tr>{{#latency}}<td class="num">{{milliseconds}} ms</td>{{/latency}}<td class="num">{{latencySamples}}</td></tr></tbody></table>{{/empty(latency)}}{{#empty(latency)}}<p>No execute call yet.</p>{{/empty(latency)}}
        <h3>Consumer lag</h3>
        {{^empty(lag)}}<table><thead><tr><th>Topic</th><th class="num">Partition</th><th class="num">Lag</th></tr></thead><tbody>
        {{#lag}}<tr><td>{{topic}}</td><td class="num">{{partition}}</td><td class="num">{{messages}}</td></tr>{{/lag}}
        </tbody></table>{{/empty(lag)}}{{#empty(lag)}}<p>No partition assigned yet.</p>{{/empty(lag)}}
        <h3>Readiness</h3>
        <ul class="checks">{{#checks}}<li class="{{state}}"><strong>{{name}}</strong>: {{state}}{{#message}} ({{message}}){{/message}}</li>{{/checks}}</ul>
        {{/isWorker}}
        {{^isWorker}}<p>This console runs without Kafka intake (<code>payout-worker console</code>): consumer lag, execute latency and readiness are on each worker's console.</p>{{/isWorker}}
        </section>
        <section>
        <h2>Workers holding payouts</h2>
        {{^empty(workers)}}<table><thead><tr><th>Worker</th><th class="num">Payouts leased</th><th>Next lease ends</th></tr></thead><tbody>
        {{#workers}}<tr><td>{{owner}}</td><td class="num">{{payouts}}</td><td>{{nextExpiry}}</td></tr>{{/workers}}
        </tbody></table>{{/empty(workers)}}{{#empty(workers)}}<p>No worker holds a payout lease right now.</p>{{/empty(workers)}}
        </section>
        """

    /// One payout row of a list.
    static let payoutRow = """
        <tr><td><a href="/console/payouts/{{referenceID}}">{{referenceID}}</a></td><td>{{status}}</td><td class="num">{{amount}}</td><td class="num">{{held}}</td><td>{{waiting}}</td><td>{{providerStatus}}</td><td>{{reasonCode}}</td></tr>
        """

    static let listHead = """
        <thead><tr><th>reference_id</th><th>Status</th><th class="num">Amount</th><th class="num">Held</th><th>Waiting</th><th>Dollr says</th><th>Reason</th></tr></thead>
        """

    static let review = """
        <h1>Review queue</h1>
        <p>Payouts whose outcome Dollr has not settled. Each keeps its wallet hold until Dollr answers a recheck or an operator resolves it; Dollr is asked again before a resolution is written.</p>
        {{^empty(rows)}}<table id="review-queue">\(listHead)<tbody>
        {{#rows}}\(payoutRow){{/rows}}
        </tbody></table>{{/empty(rows)}}{{#empty(rows)}}<p id="review-empty">Nothing waits for review.</p>{{/empty(rows)}}
        """

    static let payouts = """
        <h1>Payouts</h1>
        <form method="get" action="/console/payouts" class="filters">
        <label>Status <select name="status"><option value="">any</option>{{#statuses}}<option{{#selected}} selected{{/selected}}>{{name}}</option>{{/statuses}}</select></label>
        <button>Show</button>
        </form>
        {{^empty(rows)}}<table>\(listHead)<tbody>
        {{#rows}}\(payoutRow){{/rows}}
        </tbody></table>{{/empty(rows)}}{{#empty(rows)}}<p>No payouts.</p>{{/empty(rows)}}
        """

    static let payout = """
        <h1>Payout <code>{{referenceID}}</code></h1>
        <dl class="fields">
        {{#fields}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/fields}}
        </dl>
        {{^empty(metadata)}}<h2>Metadata</h2><dl class="fields">{{#metadata}}<dt>{{key}}</dt><dd>{{value}}</dd>{{/metadata}}</dl>{{/empty(metadata)}}
        <h2>Status events</h2>
        <table><thead><tr><th class="num">Sequence</th><th>Status</th><th>Time (UTC)</th></tr></thead><tbody>
        {{#events}}<tr><td class="num">{{sequence}}</td><td>{{status}}</td><td>{{time}}</td></tr>{{/events}}
        </tbody></table>
        {{^empty(audit)}}<h2>Audit</h2>
        <table id="audit"><thead><tr><th>Time (UTC)</th><th>By</th><th>Before</th><th>After</th><th>Dollr said</th><th>Hold</th><th>Note</th></tr></thead><tbody>
        {{#audit}}<tr><td>{{time}}</td><td>{{actor}}{{#forced}} (forced){{/forced}}</td><td>{{statusBefore}}</td><td>{{statusAfter}}</td><td>{{providerAnswer}}</td><td>{{ledger}}</td><td>{{note}}</td></tr>{{/audit}}
        </tbody></table>{{/empty(audit)}}
        {{#resolveCSRF}}
        <h2>Resolve</h2>
        <form method="post" action="/console/payouts/{{referenceID}}/resolve" id="resolve" class="stacked">
        <input type="hidden" name="csrf" value="{{resolveCSRF}}">
        <label>Outcome <select name="as" required><option value="">choose</option><option value="COMPLETED">COMPLETED: the money reached the recipient; the hold is posted</option><option value="FAILED">FAILED: it did not; the hold is voided</option></select></label>
        <label>Your name <input name="operator" required maxlength="100" autocomplete="name"></label>
        <label>Note: what you checked and what you found <textarea name="note" required maxlength="2000" rows="3"></textarea></label>
        <label class="check"><input type="checkbox" name="force" value="1"> Resolve my way even if Dollr's answer contradicts it</label>
        <button>Resolve</button>
        </form>
        {{/resolveCSRF}}
        {{#resolveNeedsToken}}<p class="note">This payout waits for review. Resolving it from the console needs the admin token (PAYOUT_ADMIN_TOKEN); <code>payout-worker payouts resolve</code> works from a shell.</p>{{/resolveNeedsToken}}
        """

    static let wallets = """
        <h1>Wallets</h1>
        {{^empty(rows)}}<table><thead><tr><th>Wallet</th><th>Currency</th><th class="num">Balance</th><th class="num">Pending holds</th><th class="num">Available</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{walletID}}</td><td>{{currency}}</td><td class="num">{{balance}}</td><td class="num">{{held}}</td><td class="num">{{available}}</td></tr>{{/rows}}
        </tbody></table>{{/empty(rows)}}{{#empty(rows)}}<p>No wallet is declared. Declare one with <code>payout-worker wallets set</code>.</p>{{/empty(rows)}}
        """

    static let deadLetters = """
        <h1>Kept dead letters</h1>
        <p>Records that belonged on the dead-letter topic but that the topic refused (too large, not authorised, no such topic). They are kept here so their partitions could move on. Keys and values are never shown.</p>
        {{^empty(rows)}}<table><thead><tr><th class="num">Id</th><th>Reason</th><th>Detail</th><th>From</th><th>Kept (UTC)</th><th>Sent (UTC)</th><th>Refused with</th></tr></thead><tbody>
        {{#rows}}<tr><td class="num">{{id}}</td><td>{{reason}}</td><td>{{detail}}</td><td>{{source}}</td><td>{{keptAt}}</td><td>{{sentAt}}</td><td>{{error}}</td></tr>{{/rows}}
        </tbody></table>{{/empty(rows)}}{{#empty(rows)}}<p>No dead letter is kept.</p>{{/empty(rows)}}
        {{#retryCSRF}}<form method="post" action="/console/dead-letters/retry" id="retry"><input type="hidden" name="csrf" value="{{retryCSRF}}"><button>Send the {{unsent}} unsent again</button></form>{{/retryCSRF}}
        """

    static let result = """
        <h1>{{heading}}</h1>
        <p class="{{tone}}" id="result">{{message}}</p>
        {{#lines}}<p>{{.}}</p>{{/lines}}
        <p><a href="{{backHref}}">{{backLabel}}</a></p>
        """

    static let signIn = """
        <h1>Sign in</h1>
        {{#error}}<p class="bad" id="result">{{error}}</p>{{/error}}
        <form method="post" action="/console/sign-in" id="sign-in" class="stacked">
        <label>Admin token <input type="password" name="token" required autocomplete="current-password"></label>
        <button>Sign in</button>
        </form>
        <p class="note">The token is the worker's PAYOUT_ADMIN_TOKEN. Scripts may send it as <code>Authorization: Bearer</code> instead.</p>
        """
}
