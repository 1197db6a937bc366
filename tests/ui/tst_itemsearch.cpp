// The desktop's item browser with a search form. A DynamoDB table: its items listed with a
// line about each, the search form the table's catalog entry brings (Query and Scan on the
// table or an index, key condition, filter, values typed as plain JSON, order), DynamoDB's
// own message for a search it refuses, More… past a page, and Edit… putting an item back. A
// versioned bucket: every version of its objects (delete markers too), one version read,
// edited into a new current version, and deleted for good. The browser knows no service: the
// forms and every answer come from the DynamoDB and S3 modules' catalogs.

#include "engine/engine.h"
#include "services/servicemodule.h"
#include "ui/enginehost.h"
#include "ui/resourcedialogs.h"
#include "ui/resourcemodel.h"
#include "ui/resourcesview.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;

namespace {

constexpr char kTemplate[] = R"(Resources:
  Notes:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: notes
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: status, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: byStatus
          KeySchema:
            - {AttributeName: status, KeyType: HASH}
          Projection: {ProjectionType: ALL}
)";

QStringList column(const QTableWidget *t, int c)
{
    QStringList out;
    for (int r = 0; r < t->rowCount(); ++r)
        out.append(t->item(r, c) ? t->item(r, c)->text() : QString());
    return out;
}

// The line of the item with this key ("u1/a"), or empty.
QString lineOf(const QTableWidget *t, const QString &pkSk)
{
    const QStringList parts = pkSk.split(QLatin1Char('/'));
    const QString key
        = QStringLiteral(R"({"pk":{"S":"%1"},"sk":{"S":"%2"}})").arg(parts[0], parts[1]);
    for (int r = 0; r < t->rowCount(); ++r) {
        if (t->item(r, 0)->text() == key)
            return t->item(r, 3)->text();
    }
    return {};
}

constexpr char kBucketTemplate[] = R"(Resources:
  History:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: history
      VersioningConfiguration: {Status: Enabled}
)";

// An ephemeral engine's options for a project of one template.
Engine::Options projectWith(const QTemporaryDir &project, const char *templateText)
{
    QFile t(project.filePath(QStringLiteral("template.yaml")));
    if (!t.open(QIODevice::WriteOnly) || t.write(templateText) < 0)
        qFatal("cannot write the template");
    t.close();
    Engine::Options o;
    o.projectPath = project.path();
    o.ephemeral = true;
    o.edgePort = o.idePort = 0;
    o.ports.insert(QStringLiteral("api"), 0);
    return o;
}

} // namespace

class TestItemSearch : public QObject
{
    Q_OBJECT
private slots:
    void searchAndEditATable()
    {
        QTemporaryDir project;
        EngineHost host(projectWith(project, kTemplate));
        ResourceModel model;
        ResourcesView view(&host, &model);
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));

        // Seven notes: u1 has three, u2 has four (1,002 more for u3, to page through).
        int put = 0;
        int items = 0;
        const auto note
            = [&](const QString &pk, const QString &sk, const QString &status, int size) {
                  const QString file = project.filePath(QStringLiteral("item%1.json").arg(items++));
                  QFile f(file);
                  QVERIFY(f.open(QIODevice::WriteOnly));
                  f.write(QStringLiteral(
                      R"({"pk": {"S": "%1"}, "sk": {"S": "%2"}, "status": {"S": "%3"},)"
                      R"( "size": {"N": "%4"}, "title": {"S": "note %2"}})")
                              .arg(pk, sk, status)
                              .arg(size)
                              .toUtf8());
                  f.close();
                  host.call<bool>(
                      &view,
                      [file](Engine &engine) {
                          engine.catalogModule(QStringLiteral("table"))
                              ->putItem(QStringLiteral("table"), QStringLiteral("notes"), QString(),
                                  file, [](Result<void> r) { QVERIFY2(bool(r), "put"); });
                          return true;
                      },
                      [&put](bool) { ++put; });
              };
        note(QStringLiteral("u1"), QStringLiteral("a"), QStringLiteral("open"), 5);
        note(QStringLiteral("u1"), QStringLiteral("b"), QStringLiteral("done"), 50);
        note(QStringLiteral("u1"), QStringLiteral("c"), QStringLiteral("open"), 500);
        for (const char *sk : {"a", "b", "c", "d"})
            note(QStringLiteral("u2"), QLatin1String(sk), QStringLiteral("done"), 7);
        QTRY_COMPARE_WITH_TIMEOUT(put, 7, 10000);

        auto *browser = qobject_cast<ItemBrowser *>(
            view.browse(QStringLiteral("table"), QStringLiteral("notes")));
        QVERIFY(browser);
        browser->resize(900, 520);
        QSignalSpy listed(browser, &ItemBrowser::listed);
        QSignalSpy failed(browser, &ItemBrowser::failed);
        QTRY_COMPARE_WITH_TIMEOUT(browser->table()->rowCount(), 7, 10000);
        QTRY_VERIFY(browser->findChild<QWidget *>(QStringLiteral("search"))->isVisible());
        // Each item's other attributes, on its line (items come in Scan's order).
        QCOMPARE(lineOf(browser->table(), QStringLiteral("u1/a")),
            QStringLiteral(R"(size: 5, status: "open", title: "note a")"));
        QVERIFY(browser->table()->isColumnHidden(2)); // no modification times for items

        // The form the catalog entry describes.
        auto *operation = browser->findChild<QComboBox *>(QStringLiteral("search-operation"));
        auto *index = browser->findChild<QComboBox *>(QStringLiteral("search-index"));
        auto *key = browser->findChild<QLineEdit *>(QStringLiteral("search-key"));
        auto *filter = browser->findChild<QLineEdit *>(QStringLiteral("search-filter"));
        auto *values = browser->findChild<QLineEdit *>(QStringLiteral("search-values"));
        auto *order = browser->findChild<QComboBox *>(QStringLiteral("search-order"));
        QVERIFY(operation && index && key && filter && values && order);
        QCOMPARE(index->count(), 2);
        QCOMPARE(index->itemText(1), QStringLiteral("byStatus"));
        QCOMPARE(key->placeholderText(), QStringLiteral("#pk = :pk AND begins_with(#sk, :prefix)"));

        // A Query typed into the form, newest first; `#pk` needs no names, values are plain.
        operation->setCurrentText(QStringLiteral("Query"));
        key->setText(QStringLiteral("#pk = :pk"));
        values->setText(QStringLiteral(R"({":pk": "u1", ":min": 10})"));
        filter->setText(QStringLiteral("#size > :min"));
        order->setCurrentText(QStringLiteral("descending"));
        listed.clear();
        browser->findChild<QPushButton *>(QStringLiteral("searchButton"))->click();
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser->table(), 0),
            (QStringList {QStringLiteral(R"({"pk":{"S":"u1"},"sk":{"S":"c"}})"),
                QStringLiteral(R"({"pk":{"S":"u1"},"sk":{"S":"b"}})")}));
        QCOMPARE(browser->statusText(), QStringLiteral("2 matches."));
        const QString shots = qEnvironmentVariable("TARMAC_SCREENSHOTS");
        QTest::qWait(200);
        if (!shots.isEmpty())
            QVERIFY(browser->grab().save(shots + QStringLiteral("/table-browser.png")));

        // The index, through the same form.
        listed.clear();
        browser->search({{QStringLiteral("operation"), QStringLiteral("Query")},
            {QStringLiteral("index"), QStringLiteral("byStatus")},
            {QStringLiteral("key"), QStringLiteral("#status = :s")},
            {QStringLiteral("filter"), QString()},
            {QStringLiteral("values"), QStringLiteral(R"({":s": "open"})")},
            {QStringLiteral("order"), QStringLiteral("ascending")}});
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(browser->table()->rowCount(), 2);
        QCOMPARE(index->currentText(), QStringLiteral("byStatus")); // the form follows

        // A Scan with a filter on a typed value.
        listed.clear();
        browser->search({{QStringLiteral("operation"), QStringLiteral("Scan")},
            {QStringLiteral("index"), QStringLiteral("notes")}, {QStringLiteral("key"), QString()},
            {QStringLiteral("filter"), QStringLiteral("#status = :s AND #pk <> :pk")},
            {QStringLiteral("values"), QStringLiteral(R"({":s": {"S": "done"}, ":pk": "u2"})")}});
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser->table(), 0),
            QStringList {QStringLiteral(R"({"pk":{"S":"u1"},"sk":{"S":"b"}})")});

        // What DynamoDB refuses, in DynamoDB's words; the list stays as it was.
        failed.clear();
        browser->search({{QStringLiteral("operation"), QStringLiteral("Query")},
            {QStringLiteral("key"), QStringLiteral("#pk = ")},
            {QStringLiteral("filter"), QString()}, {QStringLiteral("values"), QString()}});
        QTRY_VERIFY(!failed.isEmpty());
        QVERIFY2(failed.last().first().toString().startsWith(
                     QLatin1String("The search failed: Invalid KeyConditionExpression")),
            qPrintable(failed.last().first().toString()));
        QCOMPARE(browser->table()->rowCount(), 1);
        failed.clear();
        browser->search({{QStringLiteral("operation"), QStringLiteral("Query")},
            {QStringLiteral("key"), QString()}, {QStringLiteral("values"), QStringLiteral("[1")}});
        QTRY_VERIFY(!failed.isEmpty());
        QVERIFY2(failed.last().first().toString().contains(QLatin1String("needs a key condition")),
            qPrintable(failed.last().first().toString()));

        // Show all, then Edit… one item: its JSON in an editor, saved back with PutItem.
        listed.clear();
        browser->findChild<QPushButton *>(QStringLiteral("showAll"))->click();
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(browser->table()->rowCount(), 7);
        QDialog *editor = browser->edit(QStringLiteral(R"({"pk":{"S":"u2"},"sk":{"S":"d"}})"));
        auto *text = editor->findChild<QPlainTextEdit *>(QStringLiteral("itemText"));
        QTRY_VERIFY(!text->isReadOnly());
        QVERIFY(text->toPlainText().contains(QLatin1String("\"note d\"")));
        text->setPlainText(
            text->toPlainText().replace(QLatin1String("\"note d\""), QLatin1String("\"edited\"")));
        listed.clear();
        QPointer<QDialog> open(editor);
        editor->findChild<QPushButton *>(QStringLiteral("save"))->click();
        QTRY_VERIFY(!open); // closed once saved
        QTRY_VERIFY(!listed.isEmpty()); // and the list read again
        QCOMPARE(lineOf(browser->table(), QStringLiteral("u2/d")),
            QStringLiteral(R"(size: 7, status: "done", title: "edited")"));

        // More… past a page of a thousand.
        put = 0;
        for (int i = 0; i < 1002; ++i)
            note(QStringLiteral("u3"), QStringLiteral("%1").arg(i, 4, 10, QLatin1Char('0')),
                QStringLiteral("open"), i);
        QTRY_COMPARE_WITH_TIMEOUT(put, 1002, 30000);
        listed.clear();
        browser->search({{QStringLiteral("operation"), QStringLiteral("Query")},
            {QStringLiteral("index"), QStringLiteral("notes")},
            {QStringLiteral("key"), QStringLiteral("pk = :p")},
            {QStringLiteral("values"), QStringLiteral(R"({":p": "u3"})")},
            {QStringLiteral("filter"), QString()},
            {QStringLiteral("order"), QStringLiteral("ascending")}});
        QTRY_VERIFY_WITH_TIMEOUT(!listed.isEmpty(), 10000);
        QCOMPARE(browser->table()->rowCount(), 1000);
        auto *more = browser->findChild<QPushButton *>(QStringLiteral("more"));
        QVERIFY(more->isVisible());
        listed.clear();
        more->click();
        QTRY_VERIFY_WITH_TIMEOUT(!listed.isEmpty(), 10000);
        QCOMPARE(browser->table()->rowCount(), 1002);
        QVERIFY(!more->isVisible());
        QCOMPARE(browser->table()->item(1001, 0)->text(),
            QStringLiteral(R"({"pk":{"S":"u3"},"sk":{"S":"1001"}})"));
        browser->close();
        host.stop();
    }

    void versionsOfABucket()
    {
        QTemporaryDir project;
        EngineHost host(projectWith(project, kBucketTemplate));
        QSignalSpy started(&host, &EngineHost::started);
        host.start();
        QVERIFY(started.wait(20000));

        ItemBrowser browser(&host, QStringLiteral("bucket"), QStringLiteral("history"));
        browser.resize(900, 420);
        browser.show();
        QSignalSpy listed(&browser, &ItemBrowser::listed);
        QSignalSpy failed(&browser, &ItemBrowser::failed);
        QSignalSpy downloaded(&browser, &ItemBrowser::downloaded);
        QSignalSpy changed(&browser, &ItemBrowser::changed);
        QTRY_VERIFY(browser.findChild<QWidget *>(QStringLiteral("search"))->isVisible());
        // Three versions of doc.txt, one of other.txt; then doc.txt deleted (a delete marker).
        // Each upload is stored before the next begins (`changed`: a listing may come from an
        // earlier refresh), so the versions have the order they were written in.
        const auto upload = [&](const QString &key, const QByteArray &content) {
            const QString file = project.filePath(QStringLiteral("upload"));
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
            f.close();
            listed.clear();
            changed.clear();
            browser.upload(file, key);
            QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), 10000);
            QTRY_VERIFY_WITH_TIMEOUT(!listed.isEmpty(), 10000);
        };
        upload(QStringLiteral("doc.txt"), "v1");
        upload(QStringLiteral("doc.txt"), "v2");
        upload(QStringLiteral("doc.txt"), "v3");
        upload(QStringLiteral("other.txt"), "other");
        listed.clear();
        browser.remove(QStringLiteral("doc.txt"));
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser.table(), 0), QStringList {QStringLiteral("other.txt")});

        // Every version under a prefix, newest first.
        auto *show = browser.findChild<QComboBox *>(QStringLiteral("search-show"));
        QVERIFY(show);
        QCOMPARE(show->itemText(1), QStringLiteral("every version"));
        listed.clear();
        browser.search({{QStringLiteral("prefix"), QStringLiteral("doc")},
            {QStringLiteral("show"), QStringLiteral("every version")}});
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser.table(), 0), QStringList(4, QStringLiteral("doc.txt")));
        const QStringList details = column(browser.table(), 3);
        QVERIFY2(details[0].endsWith(QStringLiteral(" · latest · delete marker")),
            qPrintable(details[0]));
        for (int i = 1; i < 4; ++i)
            QVERIFY2(details[i].endsWith(QStringLiteral(" · noncurrent")), qPrintable(details[i]));
        const auto keyAt
            = [&](int row) { return browser.table()->item(row, 0)->data(Qt::UserRole).toString(); };
        QVERIFY(keyAt(1).startsWith(QStringLiteral("doc.txt") + QChar(0)));
        QTest::qWait(200);
        const QString shots = qEnvironmentVariable("TARMAC_SCREENSHOTS");
        if (!shots.isEmpty())
            QVERIFY(browser.grab().save(shots + QStringLiteral("/bucket-versions.png")));

        // One version's content; a delete marker has none.
        const QString back = project.filePath(QStringLiteral("back"));
        browser.download(keyAt(2), back);
        QVERIFY(downloaded.wait(10000));
        QFile b(back);
        QVERIFY(b.open(QIODevice::ReadOnly));
        QCOMPARE(b.readAll(), QByteArray("v2"));
        failed.clear();
        browser.download(keyAt(0), back);
        QTRY_VERIFY(!failed.isEmpty());
        QVERIFY2(failed.last().first().toString().contains(QLatin1String("is a delete marker")),
            qPrintable(failed.last().first().toString()));

        // The oldest version, edited: the object's new current version.
        QDialog *editor = browser.edit(keyAt(3));
        auto *text = editor->findChild<QPlainTextEdit *>(QStringLiteral("itemText"));
        QTRY_VERIFY(!text->isReadOnly());
        QCOMPARE(text->toPlainText(), QStringLiteral("v1"));
        text->setPlainText(QStringLiteral("v1, restored"));
        listed.clear();
        editor->findChild<QPushButton *>(QStringLiteral("save"))->click();
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(browser.table()->rowCount(), 5);
        QVERIFY(column(browser.table(), 3)[0].endsWith(QStringLiteral(" · latest")));

        // A version deleted for good.
        const QString v2 = keyAt(3);
        listed.clear();
        browser.remove(v2);
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(browser.table()->rowCount(), 4);
        for (int i = 0; i < 4; ++i)
            QVERIFY(keyAt(i) != v2);

        // Current objects only, under a prefix; then everything.
        listed.clear();
        browser.search({{QStringLiteral("prefix"), QStringLiteral("d")},
            {QStringLiteral("show"), QStringLiteral("current objects")}});
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser.table(), 0), QStringList {QStringLiteral("doc.txt")});
        QCOMPARE(browser.table()->item(0, 1)->text(), QStringLiteral("12 bytes"));
        listed.clear();
        browser.showAll();
        QTRY_VERIFY(!listed.isEmpty());
        QCOMPARE(column(browser.table(), 0),
            (QStringList {QStringLiteral("doc.txt"), QStringLiteral("other.txt")}));
        QCOMPARE(failed.size(), 1);
        host.stop();
    }
};

QTEST_MAIN(TestItemSearch)
#include "tst_itemsearch.moc"
