// SPDX-License-Identifier: Apache-2.0
// PgStateStore: the StateStore in PostgreSQL through libpq (see pg_store.hpp). Every
// statement is parameterised; sealed keys are stored as base64 text. One connection
// serves the data (guarded by a mutex: parallel renewals share the store); each lock
// opens a connection of its own, so the lock lives exactly as long as the holder.
#include "acmed/storage/pg_store.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstring>
#include <map>
#include <mutex>

#include "acmed/core/base64.hpp"
#include "acmed/core/crypto.hpp"
#include "acmed/core/text.hpp"
#include "acmed/storage/file_store.hpp"

namespace acmed::storage {
namespace {

struct ConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnFree>;
using Res = std::unique_ptr<PGresult, ResultFree>;

/// One parameter: a value, or SQL NULL.
struct P {
  std::optional<std::string> v;
  P(std::string s) : v(std::move(s)) {}        // NOLINT: implicit on purpose
  P(const char* s) : v(std::string(s)) {}      // NOLINT
  P(std::nullopt_t) {}                         // NOLINT
  P(int i) : v(std::to_string(i)) {}           // NOLINT
};

std::string conn_error(PGconn* c) {
  std::string e = c ? PQerrorMessage(c) : "out of memory";
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  // libpq's messages can quote the server; keep them on one line, escaped.
  return escape_untrusted(e, 400);
}

/// libpq's message for a failed connection, unless it quotes any value of the
/// connection string (a parse error can echo a password fragment).
std::string redacted_connect_error(PGconn* c, const Secret& dsn) {
  std::string msg = conn_error(c);
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(std::string(dsn.view()).c_str(), &err);
  bool quotes = false;
  if (opts) {
    for (PQconninfoOption* o = opts; o->keyword; ++o)
      if (o->val && std::strlen(o->val) >= 3 && msg.find(o->val) != std::string::npos) quotes = true;
    PQconninfoFree(opts);
  } else {
    // The string does not parse: libpq's message would quote the part it choked on.
    quotes = true;
  }
  if (err) PQfreemem(err);
  return quotes ? "the connection string does not parse, or libpq's message quotes it (not shown)" : msg;
}

Result<Conn> connect(const Secret& dsn) {
  // Defaults first, so the DSN's own settings win (expand_dbname: later keywords override
  // earlier ones). Keepalives let either side notice a dead peer within about a minute
  // instead of the system's two hours; a lock held by a node that vanished is then freed.
  const std::string conninfo(dsn.view());
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "dbname", nullptr};
  const char* vals[] = {"10", "1", "30", "10", "3", conninfo.c_str(), nullptr};
  Conn c(PQconnectdbParams(keys, vals, 1));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    return fail(Errc::network, "cannot connect to PostgreSQL: " + redacted_connect_error(c.get(), dsn));
  // Server notices are not printed to stderr (libpq's default): they are not ours to show.
  PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
  return c;
}

Result<Res> run(PGconn* c, const std::string& sql, const std::vector<P>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.v ? p.v->c_str() : nullptr);
  // Without parameters, the simple protocol: a migration is several statements.
  Res r(params.empty() ? PQexec(c, sql.c_str())
                       : PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                      nullptr, 0));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return fail(Errc::io, "PostgreSQL: " + conn_error(c));
  return r;
}

std::optional<std::string> cell(PGresult* r, int row, int col) {
  if (row >= PQntuples(r) || PQgetisnull(r, row, col)) return std::nullopt;
  return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

std::int64_t to_int(const std::optional<std::string>& s) {
  if (!s || s->empty() || s->size() > 20) return 0;
  char* end = nullptr;
  long long v = std::strtoll(s->c_str(), &end, 10);
  return *end == '\0' ? v : 0;
}

// Schema migrations, in order; each runs once, in the transaction that records it.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> m = {
      R"SQL(
CREATE TABLE acmed_accounts (
  ca text NOT NULL, slot text NOT NULL DEFAULT '',
  key_sealed text, key_uri text, url text, next_key_sealed text, old_key_sealed text,
  thumbprint text NOT NULL DEFAULT '', seen text, earlier text NOT NULL DEFAULT '', earlier_old text,
  PRIMARY KEY (ca, slot));
CREATE TABLE acmed_ca_facts (ca text PRIMARY KEY, facts text NOT NULL);
CREATE TABLE acmed_cert_versions (
  name text NOT NULL, version integer NOT NULL CHECK (version > 0),
  fullchain text NOT NULL, key_sealed text NOT NULL,
  node text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version));
CREATE TABLE acmed_renewal (name text PRIMARY KEY, state text NOT NULL);
CREATE TABLE acmed_node_versions (
  node text NOT NULL, name text NOT NULL, version integer NOT NULL,
  deployed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (node, name));
)SQL",
      // 2: every node that ever opened the store (a node that never deployed is behind),
      // and a sealed check value: a node with another sealing key cannot open the store.
      R"SQL(
CREATE TABLE acmed_nodes (
  node text PRIMARY KEY, first_seen timestamptz NOT NULL DEFAULT now(), last_seen timestamptz NOT NULL DEFAULT now());
CREATE TABLE acmed_meta (key text PRIMARY KEY, value text NOT NULL);
)SQL",
  };
  return m;
}

/// The certificate locks this process holds: the lock session's backend pid, and the
/// version that was current when the lock was taken. save_certificate commits only
/// while both still hold (compare-and-set), so a node whose lock session was lost
/// (a network cut, a server-side timeout, pg_terminate_backend) cannot add a second
/// version beside the node that took over.
struct HeldLocks {
  struct Held {
    int pid = 0;
    int version = 0;
  };
  std::mutex mu;
  std::map<std::string, Held> held;
};

class PgLock final : public Lock {
 public:
  PgLock(Conn c, std::shared_ptr<HeldLocks> registry, std::string name)
      : conn_(std::move(c)), registry_(std::move(registry)), name_(std::move(name)) {}
  ~PgLock() override {
    if (registry_) {
      std::lock_guard g(registry_->mu);
      registry_->held.erase(name_);
    }
    // Closing the session (conn_'s destructor) releases every advisory lock it holds.
  }

 private:
  Conn conn_;
  std::shared_ptr<HeldLocks> registry_;
  std::string name_;
};

/// A lock session: it must outlive idle timeouts, notice a dead client quickly on the
/// server side, and not wait for a lock forever.
Result<void> prepare_lock_session(PGconn* c) {
  auto r = run(c,
               "SET idle_session_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
               "SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3; "
               "SET lock_timeout = '300s'");
  if (!r) return fail(r.error());
  return {};
}


}  // namespace

/// What a certificate version's sealed key is bound to: name, version and the chain.
std::string cert_key_aad(const std::string& name, int version, const std::string& fullchain) {
  return "cert-key:" + name + ":" + std::to_string(version) + ":" + base64url_encode(sha256(fullchain));
}

struct PgStateStore::Impl {
  PgOptions opts;
  Conn conn;
  FileStateStore local;
  mutable std::mutex mu;
  std::shared_ptr<HeldLocks> locks = std::make_shared<HeldLocks>();

  Impl(PgOptions o, Conn c) : opts(std::move(o)), conn(std::move(c)), local(opts.local_root) {}

  Result<Res> q(const std::string& sql, const std::vector<P>& params = {}) const {
    std::lock_guard g(mu);
    if (PQstatus(conn.get()) != CONNECTION_OK) PQreset(conn.get());
    return run(conn.get(), sql, params);
  }

  Result<std::string> seal(const std::string& aad, std::string_view plain) const {
    auto s = aead_seal(opts.key, aad, plain);
    if (!s) return fail(s.error());
    return base64_encode(*s);
  }
  Result<Secret> open_sealed(const std::string& aad, const std::optional<std::string>& stored, const std::string& what) const {
    if (!stored) return fail(Errc::not_found, what + " is not in the database");
    auto raw = base64_decode(*stored);
    if (!raw) return fail(Errc::crypto, what + ": the database holds a malformed sealed value");
    auto plain = aead_open(opts.key, aad, *raw);
    if (!plain)
      return fail(Errc::crypto, what + ": cannot decrypt it with this node's encryption key (state.key_file): "
                                       "a different key than the node that stored it, or the value was altered");
    return plain;
  }

  /// Ensures the account row exists (slot '').
  Result<void> ensure_account(const std::string& ca) const {
    auto r = q("INSERT INTO acmed_accounts (ca) VALUES ($1) ON CONFLICT DO NOTHING", {ca});
    if (!r) return fail(r.error());
    return {};
  }

  /// Records that this node deployed `version` (never moving the record backwards).
  Result<void> mark_deployed(const std::string& name, int version) const {
    auto r = q("INSERT INTO acmed_node_versions (node, name, version) VALUES ($1, $2, $3) "
               "ON CONFLICT (node, name) DO UPDATE SET version = GREATEST(acmed_node_versions.version, $3), "
               "deployed_at = now()",
               {opts.node, name, version});
    if (!r) return fail(r.error());
    return {};
  }

  Result<Res> account_row(const std::string& ca) const {
    return q("SELECT key_sealed, key_uri, url, next_key_sealed, thumbprint, seen, earlier FROM acmed_accounts "
             "WHERE ca = $1 AND slot = ''",
             {ca});
  }
};

PgStateStore::PgStateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgStateStore::~PgStateStore() = default;

int PgStateStore::schema_version() { return static_cast<int>(migrations().size()); }

Result<std::unique_ptr<PgStateStore>> PgStateStore::open(PgOptions o) {
  if (o.key.size() != 32) return fail(Errc::config, "the state encryption key must be 32 bytes");
  if (o.node.empty()) return fail(Errc::config, "the node needs a name");
  auto c = connect(o.dsn);
  if (!c) return fail(c.error());
  // Migrations: one transaction under a transaction-scoped advisory lock.
  PGconn* pc = c->get();
  auto step = [&](const std::string& sql, const std::vector<P>& params = {}) { return run(pc, sql, params); };
  if (auto r = step("BEGIN"); !r) return fail(r.error());
  auto migrate = [&]() -> Result<void> {
    if (auto r = step("SELECT pg_advisory_xact_lock(hashtextextended('acmed-migrate', 0))"); !r) return fail(r.error());
    if (auto r = step("CREATE TABLE IF NOT EXISTS acmed_schema (version integer NOT NULL)"); !r) return fail(r.error());
    auto v = step("SELECT coalesce(max(version), 0) FROM acmed_schema");
    if (!v) return fail(v.error());
    const int have = static_cast<int>(to_int(cell(v->get(), 0, 0)));
    if (have > schema_version())
      return fail(Errc::config, "the database schema is version " + std::to_string(have) + ", newer than this acmed (" +
                                    std::to_string(schema_version()) + "): upgrade acmed on this node");
    for (int i = have; i < schema_version(); ++i) {
      if (auto r = step(migrations()[static_cast<std::size_t>(i)]); !r)
        return fail(r.error().with_context("schema migration " + std::to_string(i + 1)));
      if (auto r = step("INSERT INTO acmed_schema (version) VALUES ($1)", {i + 1}); !r) return fail(r.error());
    }
    return {};
  };
  if (auto m = migrate(); !m) {
    (void)step("ROLLBACK");
    return fail(m.error());
  }
  if (auto r = step("COMMIT"); !r) return fail(r.error());
  auto impl = std::make_unique<Impl>(std::move(o), std::move(*c));
  // The first node seals a check value; every other node must open it with its key.
  auto check = impl->seal("key-check", "acmed state key check");
  if (!check) return fail(check.error());
  if (auto r = impl->q("INSERT INTO acmed_meta (key, value) VALUES ('key-check', $1) ON CONFLICT DO NOTHING", {*check}); !r)
    return fail(r.error());
  auto stored = impl->q("SELECT value FROM acmed_meta WHERE key = 'key-check'");
  if (!stored) return fail(stored.error());
  if (!impl->open_sealed("key-check", cell(stored->get(), 0, 0), "the store's key check"))
    return fail(Errc::crypto, "this node's state key (state.key_file) is not the one the store was sealed with: "
                              "every node of a fleet needs the same key; nothing was read or written");
  if (auto r = impl->q("INSERT INTO acmed_nodes (node) VALUES ($1) ON CONFLICT (node) DO UPDATE SET last_seen = now()",
                       {impl->opts.node});
      !r)
    return fail(r.error());
  return std::unique_ptr<PgStateStore>(new PgStateStore(std::move(impl)));
}

std::string PgStateStore::location() const { return "postgresql (node " + impl_->opts.node + ")"; }
const std::string& PgStateStore::node() const { return impl_->opts.node; }
std::string PgStateStore::account_dir(const std::string& ca) const { return "postgresql:accounts/" + ca; }
std::string PgStateStore::live_dir(const std::string& name) const { return impl_->local.live_dir(name); }

Result<std::optional<StoredAccount>> PgStateStore::load_account(const std::string& ca) const {
  auto r = impl_->account_row(ca);
  if (!r) return fail(r.error());
  PGresult* res = r->get();
  auto sealed = cell(res, 0, 0);
  auto uri = cell(res, 0, 1);
  if (!sealed && !uri) return std::optional<StoredAccount>{};
  StoredAccount a;
  if (!uri) {
    auto key = impl_->open_sealed("account-key:" + ca, sealed, "the account key of " + ca);
    if (!key) return fail(key.error());
    a.key_pem = std::move(*key);
  }
  a.key_uri = uri;
  a.url = cell(res, 0, 2);
  return std::optional<StoredAccount>(std::move(a));
}

Result<void> PgStateStore::save_account_key(const std::string& ca, const Secret& key_pem) const {
  auto sealed = impl_->seal("account-key:" + ca, key_pem.view());
  if (!sealed) return fail(sealed.error());
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q("UPDATE acmed_accounts SET key_sealed = $2 WHERE ca = $1 AND slot = '' AND key_sealed IS NULL",
                    {ca, *sealed});
  if (!r) return fail(r.error());
  if (std::string(PQcmdTuples(r->get())) != "1")
    return fail(Errc::io, "refusing to overwrite existing account key " + account_dir(ca));
  return {};
}

Result<void> PgStateStore::save_account_url(const std::string& ca, const std::string& url) const {
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q("UPDATE acmed_accounts SET url = $2 WHERE ca = $1 AND slot = ''", {ca, url});
  if (!r) return fail(r.error());
  return {};
}

Result<std::optional<std::string>> PgStateStore::load_account_url(const std::string& ca) const {
  auto r = impl_->q("SELECT url FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return cell(r->get(), 0, 0);
}

Result<void> PgStateStore::forget_account_url(const std::string& ca) const {
  auto r = impl_->q("UPDATE acmed_accounts SET url = NULL WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return {};
}

Result<void> PgStateStore::discard_unregistered_account_key(const std::string& ca) const {
  auto url = load_account_url(ca);
  if (!url) return fail(url.error());
  if (*url) return fail(Errc::io, "refusing to remove the key of a registered account in " + account_dir(ca));
  auto r = impl_->q("UPDATE acmed_accounts SET key_sealed = NULL WHERE ca = $1 AND slot = '' AND url IS NULL", {ca});
  if (!r) return fail(r.error());
  return {};
}

Result<void> PgStateStore::save_seen_challenges(const std::string& ca, const std::string& types) const {
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q("UPDATE acmed_accounts SET seen = $2 WHERE ca = $1 AND slot = ''", {ca, types});
  if (!r) return fail(r.error());
  return {};
}

Result<std::optional<std::string>> PgStateStore::load_seen_challenges(const std::string& ca) const {
  auto r = impl_->q("SELECT seen FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return cell(r->get(), 0, 0);
}

Result<void> PgStateStore::save_ca_facts(const std::string& ca, const CaFacts& facts) const {
  auto r = impl_->q("INSERT INTO acmed_ca_facts (ca, facts) VALUES ($1, $2) ON CONFLICT (ca) DO UPDATE SET facts = $2",
                    {ca, encode_ca_facts(facts)});
  if (!r) return fail(r.error());
  return {};
}

Result<CaFacts> PgStateStore::load_ca_facts(const std::string& ca) const {
  auto r = impl_->q("SELECT facts FROM acmed_ca_facts WHERE ca = $1", {ca});
  if (!r) return fail(r.error());
  auto text = cell(r->get(), 0, 0);
  return text ? decode_ca_facts(*text) : CaFacts{};
}

Result<void> PgStateStore::add_earlier_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  if (thumbprint.empty() || thumbprint.find(' ') != std::string::npos)
    return fail(Errc::invalid_argument, "not a thumbprint");
  if (auto r = impl_->ensure_account(ca); !r) return r;
  // Appended unless present; one statement, so two nodes cannot lose each other's.
  auto r = impl_->q(
      "UPDATE acmed_accounts SET earlier = btrim(earlier || ' ' || $2) WHERE ca = $1 AND slot = '' AND "
      "NOT ($2 = ANY (string_to_array(earlier, ' ')))",
      {ca, thumbprint});
  if (!r) return fail(r.error());
  return {};
}

Result<std::vector<std::string>> PgStateStore::load_earlier_thumbprints(const std::string& ca) const {
  auto r = impl_->q("SELECT earlier FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return split_words(cell(r->get(), 0, 0).value_or(""));
}

Result<void> PgStateStore::retire_earlier_thumbprints(const std::string& ca) const {
  auto r = impl_->q("UPDATE acmed_accounts SET earlier_old = earlier, earlier = '' WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return {};
}

Result<void> PgStateStore::save_account_thumbprint(const std::string& ca, const std::string& thumbprint) const {
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q("UPDATE acmed_accounts SET thumbprint = $2 WHERE ca = $1 AND slot = ''", {ca, thumbprint});
  if (!r) return fail(r.error());
  return {};
}

Result<std::string> PgStateStore::load_account_thumbprint(const std::string& ca) const {
  auto r = impl_->q("SELECT thumbprint FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return cell(r->get(), 0, 0).value_or("");
}

Result<std::string> PgStateStore::retire_account(const std::string& ca) const {
  auto row = impl_->account_row(ca);
  if (!row) return fail(row.error());
  PGresult* res = row->get();
  if (cell(res, 0, 3)) return fail(Errc::io, "finish or undo the interrupted key rollover first");
  if (!cell(res, 0, 0) && !cell(res, 0, 1) && !cell(res, 0, 2)) return std::string();
  const std::string slot =
      "retired-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count());
  // The key stays sealed for its original place: re-seal it for the retired slot.
  // Nothing is deleted: the key and the key before the last rollover go to the retired
  // slot, re-sealed for their new place.
  auto reseal = [&](const std::optional<std::string>& sealed) -> Result<std::optional<std::string>> {
    if (!sealed) return std::optional<std::string>{};
    auto key = impl_->open_sealed("account-key:" + ca, sealed, "an account key of " + ca);
    if (!key) return fail(key.error());
    auto s = impl_->seal("account-key:" + ca + "/" + slot, key->view());
    if (!s) return fail(s.error());
    return std::optional<std::string>(*s);
  };
  auto old_row = impl_->q("SELECT old_key_sealed FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!old_row) return fail(old_row.error());
  auto resealed = reseal(cell(res, 0, 0));
  if (!resealed) return fail(resealed.error());
  auto resealed_old = reseal(cell(old_row->get(), 0, 0));
  if (!resealed_old) return fail(resealed_old.error());
  std::lock_guard g(impl_->mu);
  PGconn* c = impl_->conn.get();
  if (auto r = run(c, "BEGIN"); !r) return fail(r.error());
  auto tx = [&]() -> Result<void> {
    if (auto r = run(c,
                     "INSERT INTO acmed_accounts (ca, slot, key_sealed, old_key_sealed, key_uri, url, thumbprint, earlier) "
                     "SELECT ca, $2, $3, $4, key_uri, url, thumbprint, earlier FROM acmed_accounts WHERE ca = $1 AND slot = ''",
                     {ca, slot, *resealed ? P(**resealed) : P(std::nullopt),
                      *resealed_old ? P(**resealed_old) : P(std::nullopt)});
        !r)
      return fail(r.error());
    if (auto r = run(c,
                     "UPDATE acmed_accounts SET key_sealed = NULL, key_uri = NULL, url = NULL, old_key_sealed = NULL, "
                     "thumbprint = '', earlier = '' WHERE ca = $1 AND slot = ''",
                     {ca});
        !r)
      return fail(r.error());
    return {};
  };
  if (auto t = tx(); !t) {
    (void)run(c, "ROLLBACK");
    return fail(t.error());
  }
  if (auto r = run(c, "COMMIT"); !r) return fail(r.error());
  return account_dir(ca) + "/" + slot;
}

Result<void> PgStateStore::save_pending_account_key(const std::string& ca, const Secret& key_pem) const {
  auto sealed = impl_->seal("account-next-key:" + ca, key_pem.view());
  if (!sealed) return fail(sealed.error());
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q(
      "UPDATE acmed_accounts SET next_key_sealed = $2 WHERE ca = $1 AND slot = '' AND next_key_sealed IS NULL",
      {ca, *sealed});
  if (!r) return fail(r.error());
  if (std::string(PQcmdTuples(r->get())) != "1") return fail(Errc::io, "an earlier key rollover was interrupted");
  return {};
}

Result<void> PgStateStore::commit_pending_account_key(const std::string& ca) const {
  auto next = load_pending_account_key(ca);
  if (!next) return fail(next.error());
  if (!*next) return fail(Errc::io, "no pending account key to commit");
  auto sealed = impl_->seal("account-key:" + ca, (*next)->view());
  if (!sealed) return fail(sealed.error());
  auto r = impl_->q(
      "UPDATE acmed_accounts SET old_key_sealed = coalesce(key_sealed, old_key_sealed), key_sealed = $2, "
      "next_key_sealed = NULL, key_uri = NULL WHERE ca = $1 AND slot = '' AND next_key_sealed IS NOT NULL",
      {ca, *sealed});
  if (!r) return fail(r.error());
  if (std::string(PQcmdTuples(r->get())) != "1") return fail(Errc::io, "no pending account key to commit");
  return {};
}

Result<void> PgStateStore::discard_pending_account_key(const std::string& ca) const {
  auto r = impl_->q("UPDATE acmed_accounts SET next_key_sealed = NULL WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  return {};
}

bool PgStateStore::has_pending_account_key(const std::string& ca) const {
  auto r = impl_->q("SELECT next_key_sealed IS NOT NULL FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  return r && cell(r->get(), 0, 0).value_or("f") == "t";
}

Result<std::optional<Secret>> PgStateStore::load_pending_account_key(const std::string& ca) const {
  auto r = impl_->q("SELECT next_key_sealed FROM acmed_accounts WHERE ca = $1 AND slot = ''", {ca});
  if (!r) return fail(r.error());
  auto sealed = cell(r->get(), 0, 0);
  if (!sealed) return std::optional<Secret>{};
  auto key = impl_->open_sealed("account-next-key:" + ca, sealed, "the pending account key of " + ca);
  if (!key) return fail(key.error());
  return std::optional<Secret>(std::move(*key));
}

Result<void> PgStateStore::commit_token_key(const std::string& ca, const std::string& uri) const {
  if (auto r = impl_->ensure_account(ca); !r) return r;
  auto r = impl_->q(
      "UPDATE acmed_accounts SET key_uri = $2, old_key_sealed = coalesce(key_sealed, old_key_sealed), key_sealed = NULL "
      "WHERE ca = $1 AND slot = ''",
      {ca, uri});
  if (!r) return fail(r.error());
  return {};
}

Result<int> PgStateStore::save_certificate(const std::string& name, const std::string& fullchain_pem,
                                           const Secret& key_pem) const {
  auto ders = parse_pem_chain(fullchain_pem);
  if (!ders) return fail(ders.error().with_context("refusing to store certificate"));
  // This node's files first, under its local lock (a sync on this node waits): the new
  // key is on disk before the database hears of it, so no failure below loses it.
  auto local_lock = impl_->local.lock_certificate(name, true);
  if (!local_lock) return fail(local_lock.error());
  if (auto local = impl_->local.save_certificate(name, fullchain_pem, key_pem); !local) return fail(local.error());
  std::optional<HeldLocks::Held> held;
  {
    std::lock_guard g(impl_->locks->mu);
    if (auto it = impl_->locks->held.find(name); it != impl_->locks->held.end()) held = it->second;
  }
  int version = 0;
  {
    std::lock_guard g(impl_->mu);
    PGconn* c = impl_->conn.get();
    if (auto r = run(c, "BEGIN"); !r) return fail(r.error().with_context("the new certificate is kept in this node's live/"));
    auto tx = [&]() -> Result<void> {
      // Version numbers per certificate, handed out one at a time fleet-wide.
      if (auto r = run(c, "SELECT pg_advisory_xact_lock(hashtextextended('acmed-version:' || current_schema() || ':' || $1, 0))",
                       {name});
          !r)
        return fail(r.error());
      auto v = run(c, "SELECT coalesce(max(version), 0) FROM acmed_cert_versions WHERE name = $1", {name});
      if (!v) return fail(v.error());
      const int current = static_cast<int>(to_int(cell(v->get(), 0, 0)));
      if (held) {
        // Compare-and-set: the lock is still this process's, and nobody stored a version since.
        auto alive = run(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1",
                         {held->pid});
        if (!alive) return fail(alive.error());
        if (to_int(cell(alive->get(), 0, 0)) == 0)
          return fail(Errc::timeout, "this node lost its lock on '" + name +
                                         "' while renewing (its database session ended); another node may renew it");
        if (current != held->version)
          return fail(Errc::timeout, "version " + std::to_string(current) + " of '" + name +
                                         "' was stored by another node while this one renewed");
      }
      version = current + 1;
      // The key is sealed together with the chain's digest: a chain changed in the
      // database no longer opens its key, so no node deploys it.
      auto sealed = impl_->seal(cert_key_aad(name, version, fullchain_pem), key_pem.view());
      if (!sealed) return fail(sealed.error());
      if (auto r = run(c,
                       "INSERT INTO acmed_cert_versions (name, version, fullchain, key_sealed, node) "
                       "VALUES ($1, $2, $3, $4, $5)",
                       {name, version, fullchain_pem, *sealed, impl_->opts.node});
          !r)
        return fail(r.error());
      return {};
    };
    if (auto t = tx(); !t) {
      (void)run(c, "ROLLBACK");
      return fail(t.error().with_context("not stored in the database (kept in this node's archive/)"));
    }
    if (auto r = run(c, "COMMIT"); !r)
      return fail(r.error().with_context("not stored in the database (kept in this node's archive/)"));
  }
  if (auto r = impl_->mark_deployed(name, version); !r) return fail(r.error());
  return version;
}

Result<std::optional<StoredCertificate>> PgStateStore::load_certificate(const std::string& name) const {
  auto r = impl_->q(
      "SELECT version, fullchain FROM acmed_cert_versions WHERE name = $1 ORDER BY version DESC LIMIT 1", {name});
  if (!r) return fail(r.error());
  if (PQntuples(r->get()) == 0) return std::optional<StoredCertificate>{};
  StoredCertificate c;
  c.version = static_cast<int>(to_int(cell(r->get(), 0, 0)));
  c.fullchain_pem = cell(r->get(), 0, 1).value_or("");
  c.live_dir = live_dir(name);
  return std::optional<StoredCertificate>(std::move(c));
}

Result<std::string> PgStateStore::certificate_identity(const std::string& name) const {
  auto r = impl_->q("SELECT max(version) FROM acmed_cert_versions WHERE name = $1", {name});
  if (!r) return fail(r.error());
  auto v = cell(r->get(), 0, 0);
  return v ? "pg:v" + *v : std::string();
}

Result<Secret> PgStateStore::load_certificate_key(const std::string& name) const {
  auto r = impl_->q(
      "SELECT version, key_sealed, fullchain FROM acmed_cert_versions WHERE name = $1 ORDER BY version DESC LIMIT 1",
      {name});
  if (!r) return fail(r.error());
  if (PQntuples(r->get()) == 0) return fail(Errc::not_found, "no certificate named '" + name + "'");
  const int v = static_cast<int>(to_int(cell(r->get(), 0, 0)));
  return impl_->open_sealed(cert_key_aad(name, v, cell(r->get(), 0, 2).value_or("")), cell(r->get(), 0, 1),
                            "the private key of '" + name + "' version " + std::to_string(v));
}

Result<void> PgStateStore::repair_live(const std::string& name) const { return impl_->local.repair_live(name); }

Result<RenewalState> PgStateStore::load_renewal_state(const std::string& name) const {
  auto r = impl_->q("SELECT state FROM acmed_renewal WHERE name = $1", {name});
  if (!r) return fail(r.error());
  auto text = cell(r->get(), 0, 0);
  return text ? decode_renewal_state(*text) : RenewalState{};
}

Result<void> PgStateStore::save_renewal_state(const std::string& name, const RenewalState& st) const {
  auto r = impl_->q("INSERT INTO acmed_renewal (name, state) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET state = $2",
                    {name, encode_renewal_state(st)});
  if (!r) return fail(r.error());
  return {};
}

Result<void> PgStateStore::queue_deploy(const std::string& name) const { return impl_->local.queue_deploy(name); }
Result<StateStore::TakenQueue> PgStateStore::take_deploy_queue() const { return impl_->local.take_deploy_queue(); }
Result<StoredCertificate> PgStateStore::snapshot_certificate(const std::string& name, const std::string& dir) const {
  return impl_->local.snapshot_certificate(name, dir);
}

Result<LockHandle> PgStateStore::lock_certificate(const std::string& name, bool wait) const {
  auto c = connect(impl_->opts.dsn);
  if (!c) return fail(c.error());
  if (auto r = prepare_lock_session(c->get()); !r) return fail(r.error());
  const std::string sql = wait ? "SELECT pg_advisory_lock(hashtextextended('acmed-cert:' || current_schema() || ':' || $1, 0)), true"
                               : "SELECT true, pg_try_advisory_lock(hashtextextended('acmed-cert:' || current_schema() || ':' || $1, 0))";
  auto r = run(c->get(), sql, {name});
  if (!r) return fail(r.error());
  if (cell(r->get(), 0, 1).value_or("f") != "t")
    return fail(Errc::timeout, "another acmed (on this or another node) is working on certificate '" + name + "'");
  auto v = run(c->get(), "SELECT coalesce(max(version), 0) FROM acmed_cert_versions WHERE name = $1", {name});
  if (!v) return fail(v.error());
  {
    std::lock_guard g(impl_->locks->mu);
    impl_->locks->held[name] = {PQbackendPID(c->get()), static_cast<int>(to_int(cell(v->get(), 0, 0)))};
  }
  return LockHandle(std::make_unique<PgLock>(std::move(*c), impl_->locks, name));
}

Result<LockHandle> PgStateStore::lock_accounts() const {
  auto c = connect(impl_->opts.dsn);
  if (!c) return fail(c.error());
  if (auto r = prepare_lock_session(c->get()); !r) return fail(r.error());
  if (auto r = run(c->get(), "SELECT pg_advisory_lock(hashtextextended('acmed-accounts:' || current_schema(), 0))"); !r) return fail(r.error());
  return LockHandle(std::make_unique<PgLock>(std::move(*c), nullptr, std::string()));
}

Result<int> PgStateStore::sync_certificate(const std::string& name) const {
  // The local lock before reading the database: a save on this node that is writing a
  // newer version finishes first, so an older one is never put back into live/.
  auto local_lock = impl_->local.lock_certificate(name, true);
  if (!local_lock) return fail(local_lock.error());
  auto r = impl_->q(
      "SELECT v.version, v.fullchain, v.key_sealed, n.version FROM acmed_cert_versions v "
      "LEFT JOIN acmed_node_versions n ON n.node = $2 AND n.name = v.name "
      "WHERE v.name = $1 ORDER BY v.version DESC LIMIT 1",
      {name, impl_->opts.node});
  if (!r) return fail(r.error());
  if (PQntuples(r->get()) == 0) return fail(Errc::not_found, "no certificate named '" + name + "' in the database");
  const int current = static_cast<int>(to_int(cell(r->get(), 0, 0)));
  const int mine = static_cast<int>(to_int(cell(r->get(), 0, 3)));
  const std::string fullchain = cell(r->get(), 0, 1).value_or("");
  auto local = impl_->local.load_certificate(name);
  const bool have = local && *local && (*local)->fullchain_pem == fullchain;
  if (mine >= current && have) return 0;
  auto key = impl_->open_sealed(cert_key_aad(name, current, fullchain), cell(r->get(), 0, 2),
                                "the private key of '" + name + "' version " + std::to_string(current));
  if (!key) return fail(key.error());
  // Already on disk (a deploy whose hooks failed): only the hooks run again.
  if (!have)
    if (auto w = impl_->local.save_certificate(name, fullchain, *key); !w) return fail(w.error());
  return current;
}

Result<void> PgStateStore::mark_deployed(const std::string& name, int version) const {
  return impl_->mark_deployed(name, version);
}

Result<std::vector<std::string>> PgStateStore::certificate_names() const {
  auto r = impl_->q("SELECT DISTINCT name FROM acmed_cert_versions ORDER BY name");
  if (!r) return fail(r.error());
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(cell(r->get(), i, 0).value_or(""));
  return out;
}

Result<std::vector<VersionInfo>> PgStateStore::current_versions() const {
  auto r = impl_->q(
      "SELECT DISTINCT ON (name) name, version, node, extract(epoch FROM created_at)::bigint "
      "FROM acmed_cert_versions ORDER BY name, version DESC");
  if (!r) return fail(r.error());
  std::vector<VersionInfo> out;
  for (int i = 0; i < PQntuples(r->get()); ++i)
    out.push_back({cell(r->get(), i, 0).value_or(""), static_cast<int>(to_int(cell(r->get(), i, 1))),
                   cell(r->get(), i, 2).value_or(""), to_int(cell(r->get(), i, 3))});
  return out;
}

Result<std::vector<NodeVersion>> PgStateStore::node_versions() const {
  // Every node that opened the store, for every certificate: one that never deployed a
  // certificate shows version 0.
  auto r = impl_->q(
      "SELECT n.node, c.name, coalesce(v.version, 0), coalesce(extract(epoch FROM v.deployed_at)::bigint, 0) "
      "FROM acmed_nodes n CROSS JOIN (SELECT DISTINCT name FROM acmed_cert_versions) c "
      "LEFT JOIN acmed_node_versions v ON v.node = n.node AND v.name = c.name ORDER BY c.name, n.node");
  if (!r) return fail(r.error());
  std::vector<NodeVersion> out;
  for (int i = 0; i < PQntuples(r->get()); ++i)
    out.push_back({cell(r->get(), i, 0).value_or(""), cell(r->get(), i, 1).value_or(""),
                   static_cast<int>(to_int(cell(r->get(), i, 2))), to_int(cell(r->get(), i, 3))});
  return out;
}

}  // namespace acmed::storage
