// The state machine types in templates: AWS::StepFunctions::StateMachine and SAM's
// AWS::Serverless::StateMachine, loaded through the real StackLoader (definitions from a map,
// a string, a local file; substitutions; identity; the fidelity report; errors with
// positions; SAM events expanded into rules and schedules, and the roles SAM makes), and
// their checks called directly for what a template file makes awkward.
#include "services/stepfunctions/sfnresources.h"

#include "engine/stackloader.h"
#include "services/events/eventsresources.h"
#include "template/stack.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace tarmac;
using namespace tarmac::sfnresources;

namespace {

const QByteArray kSamHeader = "AWSTemplateFormatVersion: '2010-09-09'\n"
                              "Transform: AWS::Serverless-2016-10-31\n";

const char kArnPrefix[] = "arn:aws:states:us-east-1:000000000000:stateMachine:";

Json j(const char *text)
{
    auto parsed = parseJson(QByteArray(text));
    return parsed ? *parsed : Json();
}

// A project folder "demo" whose template (and definition files) the tests write.
class Project
{
public:
    QString path() const { return m_dir.path(); }
    QString templatePath() const { return path() + QStringLiteral("/template.yaml"); }

    bool write(const QString &relative, const QByteArray &text) const
    {
        const QString file = path() + u'/' + relative;
        QDir().mkpath(QFileInfo(file).absolutePath());
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        return f.write(text) == text.size();
    }

    // With the state machine types, and the rule and schedule types of the events service,
    // which the state machines' events expand into.
    Result<Stack> load(const QByteArray &text) const
    {
        if (!write(QStringLiteral("template.yaml"), text))
            return makeError(QStringLiteral("Test"), QStringLiteral("cannot write template"));
        StackLoader::Options o;
        o.stackName = QStringLiteral("demo");
        o.resourceTypes = types();
        o.resourceTypes += eventsresources::eventBridgeTypes();
        o.resourceTypes += eventsresources::schedulerTypes();
        return StackLoader::loadFile(templatePath(), o);
    }

private:
    QTemporaryDir m_dir;
};

QString outputOf(const Stack &stack, const QString &name)
{
    for (const StackOutput &o : stack.outputs) {
        if (o.name == name)
            return o.value;
    }
    return {};
}

StateMachineSpec specOf(const Stack &stack, const QString &logicalId)
{
    const StackResource *r = stack.resource(logicalId);
    if (!r)
        return {};
    auto spec = stateMachineSpec(*r);
    return spec ? *spec : StateMachineSpec();
}

// The definition the check kept, parsed back.
Json definitionOf(const Stack &stack, const QString &logicalId)
{
    auto parsed = parseJson(specOf(stack, logicalId).definition);
    return parsed ? *parsed : Json();
}

// The JSON text of the value at `path` (object keys), or "missing".
QByteArray at(const Json &root, std::initializer_list<const char *> path)
{
    const Json *v = &root;
    for (const char *key : path) {
        if (!v->is_object() || !v->contains(key))
            return "missing";
        v = &(*v)[key];
    }
    return toJsonBytes(*v);
}

const FidelityItem *reported(const Stack &stack, const QString &subject)
{
    for (const FidelityItem &i : stack.report.items) {
        if (i.subject == subject)
            return &i;
    }
    return nullptr;
}

StackNaming naming()
{
    StackNaming n;
    n.stackName = QStringLiteral("demo");
    n.region = QStringLiteral("us-east-1");
    n.accountId = QStringLiteral("000000000000");
    return n;
}

// Records what a type's check says; an error names the property path.
class FakeCheck : public ResourceCheck
{
public:
    void unsupported(
        const QString &subject, const QStringList &property, const QString &, bool) override
    {
        reported.append(subject + u'@' + property.join(u'.'));
    }
    Error error(const QStringList &property, const QString &message) const override
    {
        return makeError(QStringLiteral("ValidationError"),
            property.join(u'.') + QStringLiteral(": ") + message);
    }
    QString baseDir() const override { return dir; }
    const StackResource *loaded(const QString &) const override { return nullptr; }

    QStringList reported;
    QString dir;
};

// A resource as the loader hands it to check(): identity first, then the check.
Result<Json> checked(const ResourceType &type, const Json &properties, FakeCheck &check,
    StackResource *out = nullptr)
{
    StackResource r;
    r.logicalId = QStringLiteral("Machine");
    r.type = QLatin1String(type.info().type);
    r.properties = properties;
    r.physicalId = type.identity(r.logicalId, properties, naming()).physicalId;
    auto details = type.check(r, check);
    if (details && out) {
        r.details = *details;
        *out = r;
    }
    return details;
}

} // namespace

class TestSfnResources : public QObject
{
    Q_OBJECT

private slots:
    void typesAndSupport()
    {
        QCOMPARE(types().size(), 2);
        QCOMPARE(QLatin1String(stateMachineType().info().type),
            QLatin1String("AWS::StepFunctions::StateMachine"));
        QCOMPARE(QLatin1String(samStateMachineType().info().type),
            QLatin1String("AWS::Serverless::StateMachine"));
        for (const ResourceType *t : types()) {
            QCOMPARE(t->info().support, Support::Emulated);
            QCOMPARE(QLatin1String(t->info().noun), QLatin1String("state machine"));
        }
        const ResourceTypeInfo &cfn = stateMachineType().info();
        for (const char *emulated : {"StateMachineName", "StateMachineType", "Definition",
                 "DefinitionString", "DefinitionSubstitutions"})
            QCOMPARE(cfn.property(QLatin1String(emulated))->support, Support::Emulated);
        for (const char *ignored :
            {"RoleArn", "LoggingConfiguration", "TracingConfiguration", "Tags"})
            QCOMPARE(cfn.property(QLatin1String(ignored))->support, Support::Ignored);
        QCOMPARE(
            cfn.property(QStringLiteral("DefinitionS3Location"))->support, Support::Unsupported);

        const ResourceTypeInfo &sam = samStateMachineType().info();
        for (const char *emulated :
            {"Name", "Type", "Definition", "DefinitionUri", "DefinitionSubstitutions", "Events"})
            QCOMPARE(sam.property(QLatin1String(emulated))->support, Support::Emulated);
        for (const char *ignored : {"Role", "Policies", "PermissionsBoundary", "RolePath",
                 "Logging", "Tracing", "Tags", "PropagateTags"})
            QCOMPARE(sam.property(QLatin1String(ignored))->support, Support::Ignored);
        for (const char *unsupported : {"AutoPublishAlias", "DeploymentPreference"})
            QCOMPARE(sam.property(QLatin1String(unsupported))->support, Support::Unsupported);
        QVERIFY(QLatin1String(sam.note).contains(QLatin1String("Role")));
    }

    void definitionObjectAndIdentity()
    {
        Project project;
        auto stack = project.load(R"(AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      StateMachineName: orders
      StateMachineType: EXPRESS
      RoleArn: arn:aws:iam::000000000000:role/sfn
      Tags:
        - Key: team
          Value: shop
      Definition:
        Comment: Hello
        StartAt: Greet
        States:
          Greet:
            Type: Pass
            Result: {hello: world}
            End: true
  Unnamed:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'
Outputs:
  Ref:
    Value: !Ref Machine
  Arn:
    Value: !GetAtt Machine.Arn
  Name:
    Value: !GetAtt Machine.Name
  Revision:
    Value: !GetAtt Machine.StateMachineRevisionId
  UnnamedName:
    Value: !GetAtt Unnamed.Name
)");
        QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
        const QString arn = QLatin1String(kArnPrefix) + QStringLiteral("orders");
        QCOMPARE(stack->resource(QStringLiteral("Machine"))->physicalId, arn);
        QCOMPARE(outputOf(*stack, QStringLiteral("Ref")), arn);
        QCOMPARE(outputOf(*stack, QStringLiteral("Arn")), arn);
        QCOMPARE(outputOf(*stack, QStringLiteral("Name")), QStringLiteral("orders"));
        QCOMPARE(outputOf(*stack, QStringLiteral("Revision")), arn);

        const StateMachineSpec spec = specOf(*stack, QStringLiteral("Machine"));
        QCOMPARE(spec.name, QStringLiteral("orders"));
        QCOMPARE(spec.type, QStringLiteral("EXPRESS"));
        QCOMPARE(spec.roleArn, QStringLiteral("arn:aws:iam::000000000000:role/sfn"));
        QCOMPARE(spec.logicalId, QStringLiteral("Machine"));
        // Compact JSON text of the map.
        QVERIFY(!spec.definition.contains('\n'));
        const Json definition = definitionOf(*stack, QStringLiteral("Machine"));
        const Json expected = j(R"j({"Comment":"Hello","StartAt":"Greet","States":{"Greet":
            {"Type":"Pass","Result":{"hello":"world"},"End":true}}})j");
        QCOMPARE(toJsonBytes(definition), toJsonBytes(expected));

        // Without a name: the one CloudFormation generates, at most 80 characters.
        const QString generated = outputOf(*stack, QStringLiteral("UnnamedName"));
        QVERIFY2(generated.startsWith(QStringLiteral("demo-Unnamed-")), qPrintable(generated));
        QVERIFY(generated.size() <= 80);
        QCOMPARE(stack->resource(QStringLiteral("Unnamed"))->physicalId,
            QLatin1String(kArnPrefix) + generated);
        QCOMPARE(specOf(*stack, QStringLiteral("Unnamed")).type, QStringLiteral("STANDARD"));
        QCOMPARE(specOf(*stack, QStringLiteral("Unnamed")).name, generated);

        // The same name on every load.
        Project again;
        auto second = again.load(R"(AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Unnamed:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'
)");
        QVERIFY(second);
        QCOMPARE(specOf(*second, QStringLiteral("Unnamed")).name, generated);

        // IAM and tags: reported as ignored, with notes.
        const FidelityItem *role = reported(*stack, QStringLiteral("RoleArn"));
        QVERIFY(role);
        QCOMPARE(role->level, FidelityItem::Level::Ignored);
        QVERIFY(!role->note.isEmpty());
        const FidelityItem *tags = reported(*stack, QStringLiteral("Tags"));
        QVERIFY(tags);
        QCOMPARE(tags->level, FidelityItem::Level::Ignored);
        QVERIFY(!stack->report.hasUnsupported());
    }

    void definitionStringWithSubstitutions()
    {
        Project project;
        auto stack = project.load(R"(AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Greeting:
    Type: String
    Default: hi
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: !Sub
        - '{"StartAt":"Say","States":{"Say":{"Type":"Pass","Parameters":{"text":"${!Text}","region":"${AWS::Region}","other":"${!Other}","flag":"${!Flag}"},"Next":"Wait"},"Wait":{"Type":"Wait","Seconds":${!Delay},"End":true}}}'
        - {}
      DefinitionSubstitutions:
        Text: !Ref Greeting
        Delay: 5
        Flag: true
)");
        QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
        const Json definition = definitionOf(*stack, QStringLiteral("Machine"));
        const Json parameters = j(at(definition, {"States", "Say", "Parameters"}).constData());
        QCOMPARE(at(parameters, {"text"}), QByteArray("\"hi\""));
        QCOMPARE(at(parameters, {"region"}), QByteArray("\"us-east-1\""));
        QCOMPARE(at(parameters, {"flag"}), QByteArray("\"true\""));
        // Not a substitution: left as it is.
        QCOMPARE(at(parameters, {"other"}), QByteArray("\"${Other}\""));
        // A number in place of a number.
        QCOMPARE(at(definition, {"States", "Wait", "Seconds"}), QByteArray("5"));
    }

    void samDefinitionFromYamlFile()
    {
        Project project;
        const QByteArray flow = R"(Comment: From a file
StartAt: Check
States:
  Check:
    Type: Task
    Resource: ${CheckFunctionArn}
    Next: Done
  Done:
    Type: Succeed
)";
        QVERIFY(project.write(QStringLiteral("statemachine/flow.asl.yaml"), flow));
        auto stack = project.load(kSamHeader + R"(Parameters:
  FunctionArn:
    Type: String
    Default: arn:aws:lambda:us-east-1:000000000000:function:check
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachine/flow.asl.yaml
      DefinitionSubstitutions:
        CheckFunctionArn: !Ref FunctionArn
      Policies:
        - LambdaInvokePolicy:
            FunctionName: check
      Events:
        Nightly:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
        Orders:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [shop]
Outputs:
  Ref:
    Value: !Ref Machine
  Name:
    Value: !GetAtt Machine.Name
  RoleArn:
    Value: !GetAtt MachineRole.Arn
)");
        QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
        const Json definition = definitionOf(*stack, QStringLiteral("Machine"));
        QCOMPARE(at(definition, {"Comment"}), QByteArray("\"From a file\""));
        QCOMPARE(at(definition, {"States", "Check", "Resource"}),
            QByteArray("\"arn:aws:lambda:us-east-1:000000000000:function:check\""));

        const QString name = outputOf(*stack, QStringLiteral("Name"));
        QVERIFY2(name.startsWith(QStringLiteral("demo-Machine-")), qPrintable(name));
        QCOMPARE(outputOf(*stack, QStringLiteral("Ref")), QLatin1String(kArnPrefix) + name);
        QCOMPARE(specOf(*stack, QStringLiteral("Machine")).type, QStringLiteral("STANDARD"));
        // The SAM transform's role, made first: the state machine's role is its ARN, what
        // Fn::GetAtt MachineRole.Arn gives.
        const StackResource *role = stack->resource(QStringLiteral("MachineRole"));
        QVERIFY(role);
        QCOMPARE(role->type, QStringLiteral("AWS::IAM::Role"));
        QVERIFY2(role->physicalId.startsWith(QStringLiteral("demo-MachineRole-")),
            qPrintable(role->physicalId));
        QCOMPARE(specOf(*stack, QStringLiteral("Machine")).roleArn,
            QStringLiteral("arn:aws:iam::000000000000:role/") + role->physicalId);
        QCOMPARE(outputOf(*stack, QStringLiteral("RoleArn")),
            specOf(*stack, QStringLiteral("Machine")).roleArn);

        // The events became rules (samEventsExpand has the details), not report items.
        QVERIFY(!reported(*stack, QStringLiteral("Schedule")));
        QVERIFY(!reported(*stack, QStringLiteral("EventBridgeRule")));
        QVERIFY(stack->resource(QStringLiteral("MachineNightly")));
        QVERIFY(stack->resource(QStringLiteral("MachineOrders")));
        const FidelityItem *policies = reported(*stack, QStringLiteral("Policies"));
        QVERIFY(policies);
        QCOMPARE(policies->level, FidelityItem::Level::Ignored);
    }

    void samDefinitionFromJsonFileAndInline()
    {
        Project project;
        const QByteArray flow
            = R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":"${Value}","End":true}}})";
        QVERIFY(project.write(QStringLiteral("flow.asl.json"), flow));
        auto stack = project.load(kSamHeader + R"(Resources:
  FromFile:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: from-file
      Type: EXPRESS
      Role: arn:aws:iam::000000000000:role/sfn
      DefinitionUri: flow.asl.json
      DefinitionSubstitutions:
        Value: 42
  Inline:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A:
            Type: Pass
            Result: ${Value}
            End: true
      DefinitionSubstitutions:
        Value: inline
)");
        QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
        const StateMachineSpec file = specOf(*stack, QStringLiteral("FromFile"));
        QCOMPARE(file.name, QStringLiteral("from-file"));
        QCOMPARE(file.type, QStringLiteral("EXPRESS"));
        QCOMPARE(file.roleArn, QStringLiteral("arn:aws:iam::000000000000:role/sfn"));
        QCOMPARE(at(definitionOf(*stack, QStringLiteral("FromFile")), {"States", "A", "Result"}),
            QByteArray("\"42\""));
        QCOMPARE(stack->resource(QStringLiteral("FromFile"))->physicalId,
            QLatin1String(kArnPrefix) + QStringLiteral("from-file"));
        // Role given: no role is made.
        QVERIFY(!stack->resource(QStringLiteral("FromFileRole")));
        QCOMPARE(at(definitionOf(*stack, QStringLiteral("Inline")), {"States", "A", "Result"}),
            QByteArray("\"inline\""));
    }

    void invalidDefinitionIsAnErrorWithItsPosition()
    {
        Project project;
        auto stack = project.load(R"(AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: A
        States:
          A:
            Type: Pass
            Next: Nowhere
)");
        QVERIFY(!stack);
        const QString message = stack.error().message;
        // As CloudFormation words it, at the Definition property.
        QCOMPARE(message,
            QStringLiteral("template.yaml:6:7: Invalid State Machine Definition: "
                           "'MISSING_TRANSITION_TARGET: Missing 'Next' target: Nowhere at "
                           "/States/A/Next, MISSING_END_STATE: Workflow has no terminal state at "
                           "null'"));

        // Not JSON at all, from a string.
        auto text = project.load(R"(AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      DefinitionString: '{"StartAt": '
)");
        QVERIFY(!text);
        QVERIFY2(text.error().message.contains(
                     QStringLiteral("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION")),
            qPrintable(text.error().message));

        // A missing definition file.
        auto missing = project.load(kSamHeader + R"(Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: nowhere.asl.json
)");
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.contains(QStringLiteral("cannot read")),
            qPrintable(missing.error().message));
    }

    void definitionInS3IsReported()
    {
        FakeCheck check;
        StackResource resource;
        auto cfn = checked(stateMachineType(),
            j(R"({"DefinitionS3Location":{"Bucket":"b","Key":"k.json"}})"), check, &resource);
        QVERIFY(cfn);
        QCOMPARE(check.reported,
            QStringList {QStringLiteral("DefinitionS3Location@DefinitionS3Location")});
        auto spec = stateMachineSpec(resource);
        QVERIFY(!spec);
        QCOMPARE(spec.error().code, QStringLiteral("Unsupported"));
        QVERIFY(spec.error().message.contains(QStringLiteral("S3")));

        FakeCheck samCheck;
        const Json bucket = j(R"j({"DefinitionUri":{"Bucket":"b","Key":"k"}})j");
        const Json url = j("{\"DefinitionUri\":\"s3://b/k.json\"}");
        QVERIFY(checked(samStateMachineType(), bucket, samCheck));
        QVERIFY(checked(samStateMachineType(), url, samCheck));
        QCOMPARE(samCheck.reported,
            (QStringList {QStringLiteral("DefinitionUri@DefinitionUri"),
                QStringLiteral("DefinitionUri@DefinitionUri")}));
    }

    // What the SAM transform makes of a state machine's events, through the loader: rules and
    // schedules whose target is the state machine, started as the role SAM makes for each.
    void samEventsExpand()
    {
        Project project;
        auto stack = project.load(kSamHeader + R"(Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: trader
      Definition:
        StartAt: Done
        States:
          Done:
            Type: Succeed
      Events:
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
            Enabled: false
            Input: '{"from": "schedule"}'
            DeadLetterConfig:
              Type: SQS
        Orders:
          Type: EventBridgeRule
          Properties:
            EventBusName: shop
            RuleName: orders-to-trader
            Pattern:
              source: [shop.orders]
            InputPath: $.detail
            Target:
              Id: TraderTarget
            RetryPolicy:
              MaximumRetryAttempts: 3
        Legacy:
          Type: CloudWatchEvent
          Properties:
            Pattern: {"source": ["legacy"]}
            RoleArn: arn:aws:iam::000000000000:role/given
        Nightly:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: cron(0 2 * * ? *)
            Input: '{"from": "scheduler"}'
            Colour: blue
        Post:
          Type: Api
          Properties:
            Path: /trade
            Method: post
Outputs:
  MachineRole:
    Value: !GetAtt MachineRole.Arn
  HourlyRole:
    Value: !GetAtt MachineHourlyRole.Arn
  OrdersRule:
    Value: !GetAtt MachineOrders.Arn
  NightlySchedule:
    Value: !Ref MachineNightly
)");
        QVERIFY2(stack, qPrintable(stack ? QString() : stack.error().message));
        const QString machineArn = QLatin1String(kArnPrefix) + QStringLiteral("trader");
        const QByteArray arnJson = '"' + machineArn.toUtf8() + '"';

        // Schedule: a disabled rule, its input, a dead-letter queue made for it.
        const StackResource *hourly = stack->resource(QStringLiteral("MachineHourly"));
        QVERIFY(hourly);
        QCOMPARE(hourly->type, QStringLiteral("AWS::Events::Rule"));
        QVERIFY(hourly->implicit);
        const Json &h = hourly->properties;
        QCOMPARE(at(h, {"ScheduleExpression"}), QByteArray("\"rate(1 hour)\""));
        QCOMPARE(at(h, {"State"}), QByteArray("\"DISABLED\""));
        QVERIFY(h["Targets"].is_array() && h["Targets"].size() == 1);
        const Json &ht = h["Targets"][0];
        QCOMPARE(at(ht, {"Arn"}), arnJson);
        QCOMPARE(at(ht, {"Id"}), QByteArray("\"MachineHourlyStepFunctionsTarget\""));
        QCOMPARE(at(ht, {"Input"}), QByteArray("\"{\\\"from\\\": \\\"schedule\\\"}\""));
        const QString hourlyRole = outputOf(*stack, QStringLiteral("HourlyRole"));
        QVERIFY2(hourlyRole.startsWith(
                     QStringLiteral("arn:aws:iam::000000000000:role/demo-MachineHourlyRole-")),
            qPrintable(hourlyRole));
        QCOMPARE(at(ht, {"RoleArn"}), '"' + hourlyRole.toUtf8() + '"');
        const StackResource *queue = stack->resource(QStringLiteral("MachineHourlyQueue"));
        QVERIFY(queue);
        QCOMPARE(queue->type, QStringLiteral("AWS::SQS::Queue"));
        QVERIFY(hourly->dependsOn.contains(QStringLiteral("Machine")));
        QVERIFY(hourly->dependsOn.contains(QStringLiteral("MachineHourlyQueue")));

        // EventBridgeRule: bus, name, pattern, the target's id, input path and retries.
        const StackResource *orders = stack->resource(QStringLiteral("MachineOrders"));
        QVERIFY(orders);
        const Json &o = orders->properties;
        QCOMPARE(at(o, {"Name"}), QByteArray("\"orders-to-trader\""));
        QCOMPARE(at(o, {"EventBusName"}), QByteArray("\"shop\""));
        QCOMPARE(at(o, {"EventPattern"}), QByteArray("{\"source\":[\"shop.orders\"]}"));
        const Json &ot = o["Targets"][0];
        QCOMPARE(at(ot, {"Arn"}), arnJson);
        QCOMPARE(at(ot, {"Id"}), QByteArray("\"TraderTarget\""));
        QCOMPARE(at(ot, {"InputPath"}), QByteArray("\"$.detail\""));
        QCOMPARE(at(ot, {"RetryPolicy", "MaximumRetryAttempts"}), QByteArray("3"));
        QVERIFY(stack->resource(QStringLiteral("MachineOrdersRole")));
        QCOMPARE(outputOf(*stack, QStringLiteral("OrdersRule")),
            QStringLiteral("arn:aws:events:us-east-1:000000000000:rule/shop/orders-to-trader"));

        // CloudWatchEvent with its own role: none is made.
        const StackResource *legacy = stack->resource(QStringLiteral("MachineLegacy"));
        QVERIFY(legacy);
        QCOMPARE(at(legacy->properties["Targets"][0], {"RoleArn"}),
            QByteArray("\"arn:aws:iam::000000000000:role/given\""));
        QVERIFY(!stack->resource(QStringLiteral("MachineLegacyRole")));

        // ScheduleV2: a schedule named after the event, the state machine its target.
        const StackResource *nightly = stack->resource(QStringLiteral("MachineNightly"));
        QVERIFY(nightly);
        QCOMPARE(nightly->type, QStringLiteral("AWS::Scheduler::Schedule"));
        const Json &n = nightly->properties;
        QCOMPARE(at(n, {"Name"}), QByteArray("\"MachineNightly\""));
        QCOMPARE(at(n, {"ScheduleExpression"}), QByteArray("\"cron(0 2 * * ? *)\""));
        QCOMPARE(at(n, {"FlexibleTimeWindow", "Mode"}), QByteArray("\"OFF\""));
        QCOMPARE(at(n, {"Target", "Arn"}), arnJson);
        QVERIFY(at(n, {"Target", "RoleArn"})
                    .startsWith("\"arn:aws:iam::000000000000:role/demo-MachineNightlyRole-"));
        QCOMPARE(
            outputOf(*stack, QStringLiteral("NightlySchedule")), QStringLiteral("MachineNightly"));
        const FidelityItem *colour = reported(*stack, QStringLiteral("Colour"));
        QVERIFY(colour);
        QCOMPARE(colour->path,
            QStringLiteral("Resources.Machine.Properties.Events.Nightly.Properties.Colour"));

        // Api is not expanded yet: reported where it is.
        const FidelityItem *api = reported(*stack, QStringLiteral("Api"));
        QVERIFY(api);
        QCOMPARE(api->level, FidelityItem::Level::Unsupported);
        QCOMPARE(api->kind, FidelityItem::Kind::EventType);
        QCOMPARE(api->path, QStringLiteral("Resources.Machine.Properties.Events.Post"));
        QVERIFY(!stack->resource(QStringLiteral("ServerlessRestApi")));

        // The state machine's own role, as SAM names it; CloudFormation's name for it.
        const QString machineRole = outputOf(*stack, QStringLiteral("MachineRole"));
        QVERIFY2(machineRole.startsWith(
                     QStringLiteral("arn:aws:iam::000000000000:role/demo-MachineRole-")),
            qPrintable(machineRole));
    }

    void samEventErrors_data()
    {
        QTest::addColumn<QByteArray>("event");
        QTest::addColumn<QString>("message");
        QTest::newRow("schedule without Schedule")
            << QByteArray("Type: Schedule\n          Properties: {Input: '{}'}")
            << QStringLiteral(
                   "Event with id [E] is invalid. Missing required property 'Schedule'.");
        QTest::newRow("rule without Pattern")
            << QByteArray("Type: EventBridgeRule\n          Properties: {}")
            << QStringLiteral("Event with id [E] is invalid. Missing required property 'Pattern'.");
        QTest::newRow("ScheduleV2 without expression")
            << QByteArray("Type: ScheduleV2\n          Properties: {}")
            << QStringLiteral(
                   "Event with id [E] is invalid. Missing required property 'ScheduleExpression'.");
        QTest::newRow("target without Id")
            << QByteArray("Type: Schedule\n          Properties: {Schedule: rate(1 hour), "
                          "Target: {}}")
            << QStringLiteral(
                   "Event with id [E] is invalid. Target must be a map with a string Id.");
        QTest::newRow("dead-letter config without Arn or Type")
            << QByteArray("Type: Schedule\n          Properties: {Schedule: rate(1 hour), "
                          "DeadLetterConfig: {Type: SNS}}")
            << QStringLiteral("Event with id [E] is invalid. No 'Arn' or 'Type' property provided "
                              "for DeadLetterConfig");
    }

    void samEventErrors()
    {
        QFETCH(QByteArray, event);
        QFETCH(QString, message);
        Project project;
        auto stack = project.load(kSamHeader + R"(Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: Done, States: {Done: {Type: Succeed}}}
      Events:
        E:
          )" + event
            + "\n");
        QVERIFY(!stack);
        QVERIFY2(stack.error().message.contains(message), qPrintable(stack.error().message));
    }

    void samEventTypesAreChecked()
    {
        FakeCheck check;
        const Json properties = j(R"j({
        "Definition": {"StartAt":"A","States":{"A":{"Type":"Succeed"}}},
        "Events": {
          "E1": {"Type": "Schedule", "Properties": {"Schedule": "rate(1 hour)"}},
          "E2": {"Type": "ScheduleV2", "Properties": {"ScheduleExpression": "rate(1 hour)"}},
          "E3": {"Type": "CloudWatchEvent", "Properties": {"Pattern": {}}},
          "E4": {"Type": "EventBridgeRule", "Properties": {"Pattern": {}}},
          "E5": {"Type": "Api", "Properties": {"Path": "/", "Method": "post"}},
          "E6": {"Type": "HttpApi"}}})j");
        QVERIFY(properties.is_object());
        auto details = checked(samStateMachineType(), properties, check);
        QVERIFY(details);
        // The loader expanded them or reported them (samEventsExpand): the check only reads
        // their types.
        QCOMPARE(check.reported, QStringList());
        QCOMPARE(samStateMachineType().eventTypes().size(), 4);
        QVERIFY(stateMachineType().eventTypes().isEmpty());

        FakeCheck unknown;
        const Json sqsEvent = j(R"j({
        "Definition": {"StartAt":"A","States":{"A":{"Type":"Succeed"}}},
        "Events": {"Q": {"Type": "SQS"}}})j");
        auto sqs = checked(samStateMachineType(), sqsEvent, unknown);
        QVERIFY(!sqs);
        QVERIFY2(sqs.error().message.startsWith(QStringLiteral(
                     "Events.Q: Event with id [Q] is invalid. Resource dict has missing or invalid "
                     "value for key Type. Event Type is: SQS.")),
            qPrintable(sqs.error().message));
    }

    void propertyErrors()
    {
        const auto error = [](const ResourceType &type, const char *properties) {
            FakeCheck check;
            auto details = checked(type, j(properties), check);
            return details ? QString() : details.error().message;
        };
        const ResourceType &cfn = stateMachineType();
        const ResourceType &sam = samStateMachineType();
        struct Case
        {
            const ResourceType *type;
            const char *properties;
            const char *expected; // the start of the error
        };
        const Case cases[] = {
            {&cfn,
                R"j({"StateMachineType":"express",
            "Definition":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}})j",
                "StateMachineType: 1 validation error detected: Value 'express' at 'type' failed "
                "to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"},
            {&cfn, R"j({"StateMachineName":"bad name",
            "Definition":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}})j",
                "StateMachineName: Invalid Name: 'bad name'"},
            {&cfn, "{}", ": a state machine needs its definition"},
            {&cfn, R"j({"Definition":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},
            "DefinitionString":"{}"})j",
                "DefinitionString: give one of"},
            {&cfn, R"j({"Definition":"{}"})j", "Definition: Definition must be a map"},
            {&cfn, R"j({"DefinitionString":{"StartAt":"A"}})j",
                "DefinitionString: DefinitionString must be a string"},
            {&cfn, R"j({"DefinitionString":"{}","DefinitionSubstitutions":{"A":[1]}})j",
                "DefinitionSubstitutions.A: DefinitionSubstitutions: the value of A must be a "
                "string, a number or a boolean"},
            {&sam, R"j({"Definition":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},
            "DefinitionUri":"x.json"})j",
                "DefinitionUri: Resource with id [Machine] is invalid. Specify either 'Definition' "
                "or 'DefinitionUri' property and not both."},
            {&sam, R"j({"Name":"n"})j",
                ": Resource with id [Machine] is invalid. Either 'Definition' or 'DefinitionUri' "
                "property must be specified."},
            {&sam, R"j({"Type":"STANDARD","Definition":[]})j",
                "Definition: Resource with id [Machine] is invalid. Property 'Definition' should "
                "be a map."},
            // The definition's error names the property it came from.
            {&sam, R"j({"Definition":{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}})j",
                "Definition: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET"},
        };
        for (const Case &c : cases) {
            const QString message = error(*c.type, c.properties);
            QVERIFY2(message.startsWith(QLatin1String(c.expected)),
                qPrintable(QString(QLatin1String(c.properties) + QStringLiteral(" → ") + message)));
        }
    }

    void definitionFileRelativeToBaseDir()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QDir(dir.path()).mkpath(QStringLiteral("sm"));
        QFile f(dir.path() + QStringLiteral("/sm/flow.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Gone"}}})");
        f.close();
        FakeCheck check;
        check.dir = dir.path();
        auto details
            = checked(samStateMachineType(), j(R"({"DefinitionUri":"sm/flow.json"})"), check);
        QVERIFY(!details);
        QVERIFY2(
            details.error().message.startsWith(QStringLiteral(
                "DefinitionUri: Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET")),
            qPrintable(details.error().message));
    }

    void specNeedsCheckedDetails()
    {
        StackResource unchecked;
        unchecked.logicalId = QStringLiteral("Machine");
        auto spec = stateMachineSpec(unchecked);
        QVERIFY(!spec);
        QVERIFY(spec.error().message.contains(QStringLiteral("Machine")));
    }

    void substitutions()
    {
        const QMap<QString, QString> s {{QStringLiteral("A"), QStringLiteral("1")},
            {QStringLiteral("B"), QStringLiteral("${A}")}};
        QCOMPARE(applySubstitutions(QStringLiteral("x${A}y${B}z"), s), QStringLiteral("x1y${A}z"));
        QCOMPARE(applySubstitutions(QStringLiteral("${C} ${A"), s), QStringLiteral("${C} ${A"));
        QCOMPARE(applySubstitutions(QStringLiteral("${C ${A}}"), s), QStringLiteral("${C 1}"));
        QCOMPARE(
            applySubstitutions(QStringLiteral("$A {A} $${A}"), s), QStringLiteral("$A {A} $1"));
        QCOMPARE(applySubstitutions(QStringLiteral("${A}"), {}), QStringLiteral("${A}"));
    }
};

QTEST_GUILESS_MAIN(TestSfnResources)
#include "tst_sfnresources.moc"
