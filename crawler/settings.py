"""Every Scrapy setting of sourcevault; `sourcevault crawl` and `scrapy crawl outlets` both use it.

The CLI only overrides the per-run values at the bottom (archive path, replay snapshot,
registry, log level) and what `sourcevault crawl -s NAME=VALUE` names, as `scrapy crawl -s` would.
"""

from crawler import __version__

BOT_NAME = "sourcevault"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = f"sourcevault/{__version__} (news archive for research)"
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
# No console into a running crawl: the telnet one listens on a port, and the remote control runs
# Python sent over HTTP and writes its token to a job file under $HOME, which a service user may
# not be able to write.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Politeness: one download slot per outlet (the spider adds each outlet's DOWNLOAD_SLOTS entry from
# the registry's [outlet.crawl] delay and concurrency); these are the defaults of unset values.
# AutoThrottle (crawler/extensions/throttle.py) may lengthen an outlet's delay, never shorten it
# below its own.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Faults: retry transient failures, waiting longer each time (1, 2, 4 s) or as long as a 429 or
# 503's Retry-After asks; a server asking for more than RETRY_AFTER_MAX seconds is left for the
# next run (the page stays queued).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 120.0
# A fetch given up on is logged once, as a warning naming its reason (OutletSpider.on_failure).
RETRY_GIVE_UP_LOG_LEVEL = "INFO"
DOWNLOAD_TIMEOUT = 30
# A news article is well under a megabyte; a body far above is not one worth archiving. The bound
# holds after decompression (Content-Encoding, gzipped sitemaps) and for replayed bodies too.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 10

# The spider hands Scrapy the archive's fetch queue a batch at a time, in queue order: fetched first
# in, first out (Scrapy's default LIFO queue would fetch each batch backwards).
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Each response yields one capture and the pipelines write SQLite synchronously: processing items
# in parallel gains nothing, while Scrapy starts CONCURRENT_ITEMS workers for every response
# (the default of 100 cost a third of the crawl's CPU time in bench/crawl.py).
CONCURRENT_ITEMS = 1

# The network policy (crawler/network_policy.py, docs/security.md): http(s) only, each outlet's
# registry hosts only, public addresses only. Its middleware checks every request and redirect hop
# in place of Scrapy's OffsiteMiddleware, and its resolver every address a connection is to use.
NETWORK_ALLOW_LOOPBACK = False  # True lets tests reach 127.0.0.0/8 and ::1, and nothing else private
TWISTED_DNS_RESOLVER = "crawler.middlewares.network_policy.PolicyResolver"
# Longer request URLs are refused (recorded), not dropped silently as Scrapy's UrlLengthMiddleware does.
URLLENGTH_LIMIT = 4096
# Only http and https are fetched: the handlers of other schemes are switched off as well.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
SPIDER_MIDDLEWARES = {"scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None}

# Discovery documents are the remote's to write: what the spider takes from each is bounded.
# A sitemap index (or a list API naming further APIs) is followed this many levels deep ...
DISCOVERY_MAX_DEPTH = 3
# ... and this many of the documents it lists are read (the sitemap protocol allows 50,000);
DISCOVERY_MAX_DOCUMENTS = 1000
# of the URLs a document lists, this many are taken (the sitemap protocol's maximum per sitemap).
DISCOVERY_MAX_LINKS = 50_000

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.network_policy.NetworkPolicyMiddleware": 50,
    # A robots.txt that cannot be fetched is one warning per host, not a traceback.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.retry.BackoffRetryMiddleware": 550,
    # Served from a recorded snapshot instead of the network when REPLAY_SNAPSHOT is set.
    # Placed last so robots.txt, retries, redirects and decompression still act on replies.
    "crawler.middlewares.replay.ReplayMiddleware": 950,
}
ITEM_PIPELINES = {
    # With EXTRACT_WORKERS, the next three stages' work is done in worker processes here.
    "pipelines.worker_pool.WorkerPoolPipeline": 100,
    "pipelines.extract.ExtractPipeline": 300,
    "pipelines.language.LanguagePipeline": 500,
    "pipelines.dedup.DedupPipeline": 700,
    # Only a crawl worker's crawl (crawler/workers.py): nothing stored once its lease is lost.
    "pipelines.lease_fence.LeaseFencePipeline": 850,
    "pipelines.archive.ArchivePipeline": 900,
    # Only a briefing's fetch (crawler/briefings/fetching.py): links captures to citations.
    "pipelines.citations.CitationPipeline": 950,
}
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.extensions.throttle.OutletAutoThrottle": 0,
    "crawler.extensions.progress.TerminalProgress": 500,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# --- sourcevault components (per-run values; the CLI sets them from its options) ---------------
ARCHIVE_PATH = "data/archive.db"
# One crawl writes an archive at a time; crawl workers (`crawl --worker`) share one by their leases.
ARCHIVE_WRITE_LOCK = True
# A crawl worker's crawl of one unit: {"worker": id, "unit": id}. Set, pipelines.lease_fence keeps
# the worker from storing anything once its lease on the unit is lost to another worker.
WORKER_LEASE = None
# Checks each capture's transaction before its commit (pipelines.archive); NotConfigured: none. A crawl
# worker's: its leases on the unit, held until the commit (pipelines.lease_fence).
ARCHIVE_COMMIT_GUARD = "pipelines.lease_fence.LeaseCommitGuard"
# A crawl worker's revisits unit fetches at most this many of its outlet's due revisits; those left
# make the outlet's revisits due again at once (crawler/workers.py).
WORKER_REVISITS_PER_UNIT = 200
# A crawl worker's posts unit checks at most this many of its platform's due posts; those left make
# the platform's posts due again at once (crawler/workers.py).
WORKER_POST_CHECKS_PER_UNIT = 200
# A crawl worker that found no unit free waits for one at most this long (seconds; at most a quarter of
# its lease) before asking again: other workers' releases wake it sooner, a lease that expired does not.
WORKER_WAIT_SECONDS = 10
REGISTRY_PATH = None  # None: $SOURCEVAULT_REGISTRY, else config/outlets.toml (crawler/registry.py)
REPLAY_SNAPSHOT = None  # a WARC file: replay it instead of touching the network
EXTRACT_MAX_PAGE_BYTES = 5_000_000
REVISIT_AFTER_HOURS = [1, 24, 168]  # archived articles are fetched again 1 hour, 1 day, 1 week after
# Candidates deduplication compares exactly per article, of each kind: exact copies, nearest near copies.
DEDUP_MAX_VERIFIED = 30
# Captures committed together: a transaction at least every ARCHIVE_COMMIT_PAGES captures or
# ARCHIVE_COMMIT_MS milliseconds. A crawl killed loses at most that window, and fetches it again
# next run (its pages are still queued). 1 commits every capture alone. A batch's articles are
# indexed for search together, just before its commit. (bench.crawl, 1,000 pages, 2 cores, load
# 15 to 18: 0.90x the hand-written pipeline's pages/s batched, 0.78x with each capture alone.)
ARCHIVE_COMMIT_PAGES = 50
ARCHIVE_COMMIT_MS = 500
# Worker processes extracting, tagging and fingerprinting articles off the reactor thread. None (the
# default): one per core but the crawl's own (pipelines.worker_pool.default_workers; none on one
# core); 0 does that work in the crawl's own process, between downloads. A worker costs memory (a
# process loading trafilatura, OpenCC and numpy: about 170 MiB) and buys throughput only while a core
# is free for it (bench.crawl, 1,000 pages, 2 cores: one worker 1.26x the hand-written pipeline's
# pages/s, two 1.01x, none 0.90x; docs/benchmarks.md has the runs).
EXTRACT_WORKERS = None
# A crawl worker's EXTRACT_WORKERS (`crawl --worker`), unless -s EXTRACT_WORKERS gives one: 0, no pool.
# Workers run several to a machine, a core each, and each unit they take is a crawl of its own that
# would start a pool anew. (1,200 pages of bench.workers' site, 2 cores, load 9 to 13: crawl CPU
# per article 34.7 ms with pools, 25.6 without for three workers; 22.8 and 19.8 for one.)
WORKER_EXTRACT_WORKERS = 0
# A crawl's first article pages processed in its own process before the workers start: a short
# crawl (the demo, a briefing, one page) pays no worker start-up and archives in the same order.
EXTRACT_POOL_AFTER_PAGES = 100
PROGRESS_ENABLED = False  # the CLI turns it on when stderr is a terminal

# --- briefings: `sourcevault briefing add` and `recheck` (crawler/briefings/fetching.py) ---------
# A cited page found gone (404, 410, soft 404, a host that no longer resolves) is looked up in
# the Wayback Machine: its availability API, then the raw (id_) snapshot. Off for crawls and by
# default; `briefing add` turns it on unless told -s WAYBACK_ENABLED=False.
WAYBACK_ENABLED = False
WAYBACK_AVAILABILITY_URL = "https://archive.org/wayback/available"
WAYBACK_SNAPSHOT_URL = "https://web.archive.org/web/{timestamp}id_/{url}"
# The Wayback Machine allows a few requests a minute: its requests share one download slot
# paced to this, and a run asks about at most WAYBACK_MAX_LOOKUPS pages (the rest are said skipped).
WAYBACK_REQUESTS_PER_MINUTE = 4.0
WAYBACK_MAX_LOOKUPS = 20

# --- posts (`sourcevault posts add/recheck`: crawler/spiders/posts.py, docs/posts.md) ------------
# A posts run archives what the posts spider yields, through this pipeline only.
POSTS_ITEM_PIPELINES = {"pipelines.posts.PostArchivePipeline": 900}
# The endpoints read are the platforms' public APIs for one post at a time, asked for a post a
# user cites (as an embed asks for it), not pages of a crawl: robots.txt is not consulted for them.
POSTS_ROBOTSTXT_OBEY = False
# Short links followed from one URL at most (t.cn -> t.cn -> ...): a chain longer is refused.
POSTS_SHORT_LINK_HOPS = 5
