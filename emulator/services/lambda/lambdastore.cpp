#include "services/lambda/lambdastore.h"

#include "base/clock.h"
#include "functions/functionrunner.h"
#include "functions/ziparchive.h"
#include "http/awserror.h"
#include "store/store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QRandomGenerator>

namespace tarmac {

namespace {

const std::vector<Migration> kMigrations = {
    {1, R"(
CREATE TABLE lambda_functions (
    name TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
)"},
};

Error notFound(const QString &arn)
{
    return makeError(QStringLiteral("ResourceNotFoundException"),
        QStringLiteral("Function not found: %1").arg(arn), 404);
}

Error invalid(const QString &message)
{
    return makeError(QStringLiteral("InvalidParameterValueException"), message, 400);
}

QString lastModified(qint64 ns)
{
    return QDateTime::fromMSecsSinceEpoch(ns / 1'000'000, Qt::UTC)
               .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz"))
        + QStringLiteral("+0000");
}

std::string str(const Json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

qint64 num(const Json &j, const char *key, qint64 fallback)
{
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<qint64>() : fallback;
}

bool validName(const QString &name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (const QChar c : name) {
        const char16_t u = c.unicode();
        if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-'
                || u == '_'))
            return false;
    }
    return true;
}

} // namespace

LambdaStore::LambdaStore(Store *store, const Clock *clock, FunctionRunner *runner, QString stateDir,
    QString region, QString accountId)
    : m_store(store)
    , m_clock(clock)
    , m_runner(runner)
    , m_codeRoot(QDir(stateDir).filePath(QStringLiteral("lambda/code")))
    , m_region(std::move(region))
    , m_accountId(std::move(accountId))
{ }

QString LambdaStore::arnFor(const QString &name) const
{
    return QStringLiteral("arn:aws:lambda:%1:%2:function:%3").arg(m_region, m_accountId, name);
}

QString LambdaStore::newRevision() const
{
    return QString::fromLatin1(newRequestId());
}

Result<std::pair<QString, QString>> LambdaStore::parseFunctionName(const QString &raw)
{
    QString rest = raw;
    if (rest.startsWith(QLatin1String("arn:"))) {
        // arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        const QStringList parts = rest.split(u':');
        if (parts.size() < 7 || parts.size() > 8 || parts[2] != QLatin1String("lambda")
            || parts[5] != QLatin1String("function"))
            return invalid(QStringLiteral(
                "1 validation error detected: Value '%1' at 'functionName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern")
                               .arg(raw));
        rest = parts[6] + (parts.size() == 8 ? u':' + parts[7] : QString());
    } else if (rest.contains(QLatin1String(":function:"))) {
        rest = rest.section(QLatin1String(":function:"), 1);
    }
    const QString name = rest.section(u':', 0, 0);
    const QString qualifier = rest.section(u':', 1);
    if (!validName(name) || qualifier.contains(u':'))
        return invalid(QStringLiteral(
            "1 validation error detected: Value '%1' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
                           .arg(raw));
    return std::make_pair(name, qualifier);
}

Result<void> LambdaStore::validate(const LambdaFunction &f)
{
    const FunctionConfig &c = f.config;
    if (!validName(c.name))
        return invalid(QStringLiteral(
            "1 validation error detected: Value '%1' at 'functionName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64 and match "
            "[a-zA-Z0-9-_]+")
                           .arg(c.name));
    if (c.runtime.isEmpty())
        return invalid(
            QStringLiteral("The Runtime parameter is required for a function of package type Zip"));
    if (c.handler.isEmpty() && !c.runtime.startsWith(QLatin1String("provided")))
        return invalid(
            QStringLiteral("The Handler parameter is required for runtime %1").arg(c.runtime));
    if (c.handler.size() > 128)
        return invalid(QStringLiteral(
            "1 validation error detected: Value at 'handler' failed to satisfy constraint: "
            "Member must have length less than or equal to 128"));
    if (c.timeoutSeconds < 1 || c.timeoutSeconds > 900)
        return invalid(
            QStringLiteral("1 validation error detected: Value '%1' at 'timeout' failed to satisfy "
                           "constraint: Member must have value between 1 and 900")
                .arg(c.timeoutSeconds));
    if (c.memoryMb < 128 || c.memoryMb > 10240)
        return invalid(QStringLiteral(
            "1 validation error detected: Value '%1' at 'memorySize' failed to satisfy "
            "constraint: Member must have value between 128 and 10240")
                           .arg(c.memoryMb));
    QStringList reserved;
    qsizetype size = 0;
    for (auto it = c.environment.cbegin(); it != c.environment.cend(); ++it) {
        if (isReservedFunctionVariable(it.key()))
            reserved.append(it.key());
        const QString &key = it.key();
        if (key.isEmpty() || !key.front().isLetter()
            || std::any_of(key.cbegin(), key.cend(),
                [](QChar ch) { return !(ch.isLetterOrNumber() || ch == u'_'); }))
            return invalid(QStringLiteral(
                "1 validation error detected: Value at 'environment.variables' failed to "
                "satisfy constraint: Map keys must satisfy constraint: [Member must satisfy "
                "regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"));
        size += it.key().toUtf8().size() + it.value().toUtf8().size();
    }
    if (!reserved.isEmpty())
        return invalid(QStringLiteral(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            "currently not supported for modification. Reserved keys used in this "
            "request: %1")
                           .arg(reserved.join(QStringLiteral(", "))));
    if (size > 4096)
        return invalid(
            QStringLiteral("Lambda was unable to configure your environment variables because the "
                           "environment variables you have provided exceeded the 4KB limit. String "
                           "measured: %1")
                .arg(size));
    if (c.reservedConcurrency < -1 || c.reservedConcurrency > 1000)
        return invalid(QStringLiteral("ReservedConcurrentExecutions must be between 0 and 1000"));
    if (!f.deadLetterTarget.isEmpty()
        && !(f.deadLetterTarget.startsWith(QLatin1String("arn:aws:sqs:"))
            || f.deadLetterTarget.startsWith(QLatin1String("arn:aws:sns:"))))
        return invalid(QStringLiteral(
            "1 validation error detected: Value '%1' at 'deadLetterConfig.targetArn' "
            "failed to satisfy constraint: Member must satisfy regular expression "
            "pattern: (arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()")
                           .arg(f.deadLetterTarget));
    return {};
}

Json LambdaStore::eventInvokeConfigJson(const EventInvokeConfig &c, const QString &functionArn)
{
    Json destinations = Json::object();
    if (!c.onSuccess.isEmpty())
        destinations["OnSuccess"] = {{"Destination", toStd(c.onSuccess)}};
    else
        destinations["OnSuccess"] = Json::object();
    if (!c.onFailure.isEmpty())
        destinations["OnFailure"] = {{"Destination", toStd(c.onFailure)}};
    else
        destinations["OnFailure"] = Json::object();
    return Json {{"LastModified", double(c.lastModifiedNs) / 1e9},
        {"FunctionArn", toStd(functionArn + QStringLiteral(":$LATEST"))},
        {"MaximumRetryAttempts", c.maximumRetryAttempts},
        {"MaximumEventAgeInSeconds", c.maximumEventAgeSeconds},
        {"DestinationConfig", destinations}};
}

Json LambdaStore::configurationJson(const LambdaFunction &f) const
{
    Json env = Json::object();
    for (auto it = f.config.environment.cbegin(); it != f.config.environment.cend(); ++it)
        env[toStd(it.key())] = toStd(it.value());
    Json architectures = Json::array();
    for (const QString &a : f.architectures)
        architectures.push_back(toStd(a));
    Json j = {
        {"FunctionName", toStd(f.config.name)},
        {"FunctionArn", toStd(f.arn)},
        {"Runtime", toStd(f.config.runtime)},
        {"Role", toStd(f.role)},
        {"Handler", toStd(f.config.handler)},
        {"CodeSize", f.codeSize},
        {"Description", toStd(f.description)},
        {"Timeout", f.config.timeoutSeconds},
        {"MemorySize", f.config.memoryMb},
        {"LastModified", toStd(lastModified(f.lastModifiedNs))},
        {"CodeSha256", toStd(f.codeSha256)},
        {"Version", "$LATEST"},
        {"TracingConfig", {{"Mode", toStd(f.tracingMode)}}},
        {"RevisionId", toStd(f.revisionId)},
        {"State", "Active"},
        {"LastUpdateStatus", "Successful"},
        {"PackageType", "Zip"},
        {"Architectures", architectures},
        {"EphemeralStorage", {{"Size", f.ephemeralStorageMb}}},
        {"SnapStart", {{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}},
        {"RuntimeVersionConfig",
            {{"RuntimeVersionArn",
                toStd(QStringLiteral("arn:aws:lambda:%1::runtime:tarmac").arg(m_region))}}},
        {"LoggingConfig",
            {{"LogFormat", "Text"},
                {"LogGroup", toStd(QStringLiteral("/aws/lambda/") + f.config.name)}}},
    };
    if (!f.config.environment.isEmpty())
        j["Environment"] = {{"Variables", env}};
    if (!f.deadLetterTarget.isEmpty())
        j["DeadLetterConfig"] = {{"TargetArn", toStd(f.deadLetterTarget)}};
    return j;
}

Json LambdaStore::toDocument(const LambdaFunction &f) const
{
    Json j = configurationJson(f);
    j["CodeDir"] = toStd(f.config.codeDir);
    j["ZipBlob"] = f.zipBlob.toStdString();
    j["LocalCode"] = f.localCode;
    j["WatchCode"] = f.config.watchCode;
    j["LastModifiedNs"] = f.lastModifiedNs;
    j["ReservedConcurrency"] = f.config.reservedConcurrency;
    Json tags = Json::object();
    for (auto it = f.tags.cbegin(); it != f.tags.cend(); ++it)
        tags[toStd(it.key())] = toStd(it.value());
    j["Tags"] = tags;
    if (f.eventInvokeConfig) {
        j["EventInvokeConfig"] = eventInvokeConfigJson(*f.eventInvokeConfig, f.arn);
        j["EventInvokeConfigModifiedNs"] = f.eventInvokeConfig->lastModifiedNs;
    }
    return j;
}

LambdaFunction LambdaStore::fromDocument(const Json &j) const
{
    LambdaFunction f;
    f.config.name = fromStd(str(j, "FunctionName"));
    f.config.runtime = fromStd(str(j, "Runtime"));
    f.config.handler = fromStd(str(j, "Handler"));
    f.config.codeDir = fromStd(str(j, "CodeDir"));
    f.config.timeoutSeconds = int(num(j, "Timeout", 3));
    f.config.memoryMb = int(num(j, "MemorySize", 128));
    f.config.reservedConcurrency = int(num(j, "ReservedConcurrency", -1));
    f.config.watchCode = j.value("WatchCode", false);
    if (auto e = j.find("Environment"); e != j.end() && e->contains("Variables")) {
        for (auto it = (*e)["Variables"].begin(); it != (*e)["Variables"].end(); ++it) {
            if (it->is_string())
                f.config.environment.insert(fromStd(it.key()), fromStd(it->get<std::string>()));
        }
    }
    f.arn = arnFor(f.config.name);
    f.role = fromStd(str(j, "Role"));
    f.description = fromStd(str(j, "Description"));
    f.codeSha256 = fromStd(str(j, "CodeSha256"));
    f.codeSize = num(j, "CodeSize", 0);
    f.zipBlob = QByteArray::fromStdString(str(j, "ZipBlob"));
    f.localCode = j.value("LocalCode", false);
    f.revisionId = fromStd(str(j, "RevisionId"));
    f.lastModifiedNs = num(j, "LastModifiedNs", 0);
    if (auto d = j.find("DeadLetterConfig"); d != j.end() && d->is_object())
        f.deadLetterTarget = fromStd(str(*d, "TargetArn"));
    if (auto t = j.find("Tags"); t != j.end() && t->is_object()) {
        for (auto it = t->begin(); it != t->end(); ++it) {
            if (it->is_string())
                f.tags.insert(fromStd(it.key()), fromStd(it->get<std::string>()));
        }
    }
    if (auto a = j.find("Architectures"); a != j.end() && a->is_array() && !a->empty()) {
        f.architectures.clear();
        for (const Json &v : *a) {
            if (v.is_string())
                f.architectures.append(fromStd(v.get<std::string>()));
        }
    }
    if (auto e = j.find("EventInvokeConfig"); e != j.end() && e->is_object()) {
        EventInvokeConfig c;
        c.maximumRetryAttempts = int(num(*e, "MaximumRetryAttempts", 2));
        c.maximumEventAgeSeconds = int(num(*e, "MaximumEventAgeInSeconds", 21600));
        const Json &d = (*e)["DestinationConfig"];
        if (d.is_object()) {
            if (d.contains("OnSuccess"))
                c.onSuccess = fromStd(str(d["OnSuccess"], "Destination"));
            if (d.contains("OnFailure"))
                c.onFailure = fromStd(str(d["OnFailure"], "Destination"));
        }
        c.lastModifiedNs = num(j, "EventInvokeConfigModifiedNs", 0);
        f.eventInvokeConfig = c;
    }
    return f;
}

Result<void> LambdaStore::open()
{
    if (auto r = m_store->migrateModule(QStringLiteral("lambda"), kMigrations); !r)
        return r;
    auto functions = readFunctions();
    if (!functions)
        return functions.error();
    QSet<QString> usedDirs;
    for (const LambdaFunction &f : std::as_const(*functions)) {
        usedDirs.insert(QFileInfo(f.config.codeDir).fileName());
        if (auto r = m_runner->defineFunction(f.config); !r)
            qWarning("tarmac: lambda: function %s cannot run: %s", qPrintable(f.config.name),
                qPrintable(r.error().message));
        QMutexLocker lock(&m_mutex);
        m_functions.insert(f.config.name, f);
    }
    // Extracted packages no function uses any more.
    const QDir codeRoot(m_codeRoot);
    const QStringList dirs = codeRoot.entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden);
    for (const QString &dir : dirs) {
        if (!usedDirs.contains(dir))
            QDir(codeRoot.filePath(dir)).removeRecursively();
    }
    return {};
}

Result<QList<LambdaFunction>> LambdaStore::readFunctions()
{
    auto rows = m_store->write([](Database &db) -> Result<QList<QByteArray>> {
        auto s = db.prepare("SELECT document FROM lambda_functions ORDER BY name");
        if (!s)
            return s.error();
        QList<QByteArray> docs;
        const Result<void> walked = s->forEachRow([&] { docs.append(s->text(0).toUtf8()); });
        if (!walked)
            return walked.error();
        return docs;
    });
    if (!rows)
        return rows.error();
    QList<LambdaFunction> out;
    for (const QByteArray &doc : *rows) {
        auto json = parseJson(doc);
        if (!json || !json->is_object())
            continue;
        LambdaFunction f = fromDocument(*json);
        if (!f.localCode && !f.zipBlob.isEmpty() && !QFileInfo(f.config.codeDir).isDir()) {
            // The extracted copy is a cache: rebuild it from the package.
            auto zip = m_store->blobs().read(f.zipBlob);
            if (zip) {
                if (auto package = storePackage(*zip))
                    f.config.codeDir = package->codeDir;
            }
        }
        out.append(std::move(f));
    }
    return out;
}

Result<QStringList> LambdaStore::reload()
{
    auto functions = readFunctions();
    if (!functions)
        return functions.error();
    QMap<QString, LambdaFunction> stored;
    for (LambdaFunction &f : *functions)
        stored.insert(f.config.name, std::move(f));
    QStringList gone;
    QMutexLocker lock(&m_mutex);
    for (auto it = m_functions.begin(); it != m_functions.end();) {
        // The functions a template or the GUI defined are not in the rows: they stay.
        if (!it->persistent || stored.contains(it.key())) {
            ++it;
            continue;
        }
        m_runner->removeFunction(it.key());
        gone.append(it.key());
        it = m_functions.erase(it);
    }
    for (const LambdaFunction &f : std::as_const(stored)) {
        // A template's function of the same name was defined after the rows were read at
        // start, and replaced the stored one then: it wins here too.
        if (const auto it = m_functions.constFind(f.config.name);
            it != m_functions.cend() && !it->persistent)
            continue;
        // The runner keeps an unchanged definition (and its warm instances) as it is.
        if (auto r = m_runner->defineFunction(f.config); !r)
            qWarning("tarmac: lambda: function %s cannot run: %s", qPrintable(f.config.name),
                qPrintable(r.error().message));
        m_functions.insert(f.config.name, f);
    }
    return gone;
}

Result<LambdaStore::Package> LambdaStore::storePackage(const QByteArray &zip)
{
    auto archive = ZipArchive::open(zip);
    if (!archive)
        return invalid(archive.error().message);
    auto stored = m_store->blobs().put(zip);
    if (!stored)
        return makeError(QStringLiteral("ServiceException"), stored.error().message, 500);
    Package p;
    p.blob = stored->sha256Hex;
    p.sha256Base64 = QString::fromLatin1(QByteArray::fromHex(stored->sha256Hex).toBase64());
    p.size = stored->size;
    p.codeDir = QDir(m_codeRoot).filePath(QString::fromLatin1(stored->sha256Hex));
    if (QFileInfo(p.codeDir).isDir())
        return p; // the same package is already extracted
    if (!QDir().mkpath(m_codeRoot))
        return makeError(QStringLiteral("ServiceException"),
            QStringLiteral("cannot create %1").arg(m_codeRoot), 500);
    const QString temp = QDir(m_codeRoot)
                             .filePath(QStringLiteral(".tmp-%1-%2")
                                           .arg(QString::fromLatin1(stored->sha256Hex.left(16)))
                                           .arg(QRandomGenerator::global()->generate()));
    if (!QDir().mkpath(temp))
        return makeError(
            QStringLiteral("ServiceException"), QStringLiteral("cannot create %1").arg(temp), 500);
    if (auto r = archive->extractTo(temp); !r) {
        QDir(temp).removeRecursively();
        return r.error().code == QLatin1String("InvalidZipFileException")
            ? invalid(r.error().message)
            : r.error();
    }
    if (!QDir().rename(temp, p.codeDir)) {
        QDir(temp).removeRecursively();
        if (!QFileInfo(p.codeDir).isDir()) // another request extracted the same package first
            return makeError(QStringLiteral("ServiceException"),
                QStringLiteral("cannot place %1").arg(p.codeDir), 500);
    }
    return p;
}

Result<void> LambdaStore::persist(const LambdaFunction &f)
{
    if (!f.persistent)
        return {};
    const QByteArray doc = toJsonBytes(toDocument(f));
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("INSERT INTO lambda_functions (name, document) VALUES (?1, ?2) "
                            "ON CONFLICT(name) DO UPDATE SET document = excluded.document");
        if (!s)
            return s.error();
        s->bind(1, f.config.name).bind(2, std::string_view(doc.constData(), size_t(doc.size())));
        return s->exec();
    });
}

Result<void> LambdaStore::unpersist(const QString &name)
{
    return m_store->write([&](Database &db) -> Result<void> {
        auto s = db.prepare("DELETE FROM lambda_functions WHERE name = ?1");
        if (!s)
            return s.error();
        s->bind(1, name);
        return s->exec();
    });
}

Result<LambdaFunction> LambdaStore::create(LambdaFunction f, const QByteArray &zip)
{
    f.arn = arnFor(f.config.name);
    f.config.codeDir.clear();
    f.config.watchCode = false;
    f.localCode = false;
    f.persistent = true;
    if (auto r = validate(f); !r)
        return r.error();
    {
        QMutexLocker lock(&m_mutex);
        if (m_functions.contains(f.config.name))
            return makeError(QStringLiteral("ResourceConflictException"),
                QStringLiteral("Function already exist: %1").arg(f.config.name), 409);
    }
    auto package = storePackage(zip);
    if (!package)
        return package.error();
    f.config.codeDir = package->codeDir;
    f.zipBlob = package->blob;
    f.codeSha256 = package->sha256Base64;
    f.codeSize = package->size;
    f.revisionId = newRevision();
    f.lastModifiedNs = m_clock->nowNs();
    QMutexLocker lock(&m_mutex);
    if (m_functions.contains(f.config.name))
        return makeError(QStringLiteral("ResourceConflictException"),
            QStringLiteral("Function already exist: %1").arg(f.config.name), 409);
    if (auto r = m_runner->defineFunction(f.config); !r)
        return r.error();
    if (auto r = persist(f); !r) {
        m_runner->removeFunction(f.config.name);
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    }
    m_functions.insert(f.config.name, f);
    return f;
}

Result<LambdaFunction> LambdaStore::putLocalFunction(LambdaFunction f)
{
    f.arn = arnFor(f.config.name);
    f.localCode = true;
    f.zipBlob.clear();
    if (f.config.codeDir.isEmpty() || !QFileInfo(f.config.codeDir).isDir())
        return invalid(QStringLiteral("The code folder '%1' of function %2 does not exist")
                           .arg(f.config.codeDir, f.config.name));
    f.config.codeDir = QFileInfo(f.config.codeDir).absoluteFilePath();
    if (auto r = validate(f); !r)
        return r.error();
    f.codeSha256 = QString::fromLatin1(
        QCryptographicHash::hash(f.config.codeDir.toUtf8(), QCryptographicHash::Sha256).toBase64());
    f.revisionId = newRevision();
    f.lastModifiedNs = m_clock->nowNs();
    QMutexLocker lock(&m_mutex);
    if (auto r = m_runner->defineFunction(f.config); !r)
        return r.error();
    if (auto r = persist(f); !r)
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    m_functions.insert(f.config.name, f);
    return f;
}

Result<LambdaFunction> LambdaStore::get(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.constFind(name);
    if (it == m_functions.cend())
        return notFound(arnFor(name));
    return *it;
}

QList<LambdaFunction> LambdaStore::list() const
{
    QMutexLocker lock(&m_mutex);
    return m_functions.values();
}

Result<void> LambdaStore::remove(const QString &name)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.find(name);
    if (it == m_functions.end())
        return notFound(arnFor(name));
    if (it->persistent) {
        if (auto r = unpersist(name); !r)
            return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    }
    m_functions.erase(it);
    m_runner->removeFunction(name);
    return {};
}

Result<LambdaFunction> LambdaStore::updateCode(const QString &name, const QByteArray &zip)
{
    {
        QMutexLocker lock(&m_mutex);
        if (!m_functions.contains(name))
            return notFound(arnFor(name));
    }
    auto package = storePackage(zip);
    if (!package)
        return package.error();
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.find(name);
    if (it == m_functions.end())
        return notFound(arnFor(name));
    LambdaFunction f = *it;
    f.config.codeDir = package->codeDir;
    f.config.watchCode = false;
    f.localCode = false;
    f.zipBlob = package->blob;
    f.codeSha256 = package->sha256Base64;
    f.codeSize = package->size;
    f.revisionId = newRevision();
    f.lastModifiedNs = m_clock->nowNs();
    if (auto r = m_runner->defineFunction(f.config); !r)
        return r.error();
    if (auto r = persist(f); !r)
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    *it = f;
    return f;
}

Result<LambdaFunction> LambdaStore::updateConfiguration(
    const QString &name, const std::function<Result<void>(LambdaFunction &)> &change)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.find(name);
    if (it == m_functions.end())
        return notFound(arnFor(name));
    LambdaFunction f = *it;
    if (auto r = change(f); !r)
        return r.error();
    if (auto r = validate(f); !r)
        return r.error();
    f.revisionId = newRevision();
    f.lastModifiedNs = m_clock->nowNs();
    if (auto r = m_runner->defineFunction(f.config); !r)
        return r.error();
    if (auto r = persist(f); !r)
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    *it = f;
    return f;
}

Result<LambdaFunction> LambdaStore::setReservedConcurrency(const QString &name, int reserved)
{
    return updateConfiguration(name, [reserved](LambdaFunction &f) -> Result<void> {
        f.config.reservedConcurrency = reserved;
        return {};
    });
}

Result<EventInvokeConfig> LambdaStore::setEventInvokeConfig(
    const QString &name, std::optional<EventInvokeConfig> config)
{
    if (config) {
        if (config->maximumRetryAttempts < 0 || config->maximumRetryAttempts > 2)
            return invalid(QStringLiteral(
                "1 validation error detected: Value '%1' at 'maximumRetryAttempts' failed to "
                "satisfy constraint: Member must have value less than or equal to 2")
                               .arg(config->maximumRetryAttempts));
        if (config->maximumEventAgeSeconds < 60 || config->maximumEventAgeSeconds > 21600)
            return invalid(QStringLiteral(
                "1 validation error detected: Value '%1' at 'maximumEventAgeInSeconds' "
                "failed to satisfy constraint: Member must have value between 60 and 21600")
                               .arg(config->maximumEventAgeSeconds));
        for (const QString &arn : {config->onSuccess, config->onFailure}) {
            if (!arn.isEmpty() && !arn.startsWith(QLatin1String("arn:")))
                return invalid(QStringLiteral("The destination ARN %1 is invalid.").arg(arn));
        }
        config->lastModifiedNs = m_clock->nowNs();
    }
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.find(name);
    if (it == m_functions.end())
        return notFound(arnFor(name));
    LambdaFunction f = *it;
    f.eventInvokeConfig = config;
    if (auto r = persist(f); !r)
        return makeError(QStringLiteral("ServiceException"), r.error().message, 500);
    *it = f;
    return config.value_or(EventInvokeConfig {});
}

std::optional<EventInvokeConfig> LambdaStore::eventInvokeConfig(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.constFind(name);
    if (it == m_functions.cend())
        return std::nullopt;
    if (it->deadLetterTarget.isEmpty())
        return it->eventInvokeConfig;
    // A dead-letter queue alone still needs the policy to know it (with AWS's defaults).
    EventInvokeConfig config = it->eventInvokeConfig.value_or(EventInvokeConfig());
    config.deadLetterTarget = it->deadLetterTarget;
    return config;
}

Result<QString> LambdaStore::packagePath(const QString &name) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_functions.constFind(name);
    if (it == m_functions.cend())
        return notFound(arnFor(name));
    if (it->zipBlob.isEmpty())
        return makeError(QStringLiteral("ResourceNotFoundException"),
            QStringLiteral("Function %1 runs from a local folder and has no package").arg(name),
            404);
    return m_store->blobs().pathFor(it->zipBlob);
}

} // namespace tarmac
