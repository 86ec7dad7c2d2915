package io.tokenmeter.bench;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Realistic traffic of LLM-backed services, made with the OpenTelemetry SDK: each request is a
 * trace of an HTTP server span, a retrieval span, one or more LLM client spans written the way
 * each instrumentation writes them (the dialects of {@code demo.SampleTraffic}, extended with the
 * attributes real instrumentations add: request parameters, response ids, server address, user
 * and session ids, prompt/completion content where the instrumentation records it by default),
 * sometimes a tool span. About 20 attributes per span; services differ by resource.
 */
public final class TrafficMix implements AutoCloseable {
  /** A model as a span names it: the raw provider value and the model name. */
  public record Model(String provider, String name) {}

  private static final String[] SERVICES = {
      "assistant-api", "support-bot", "search-api", "billing-agent", "docs-qa", "code-review", "email-triage",
      "sales-copilot"};
  private static final String[] FEATURES = {"support-chat", "summarise-ticket", "draft-reply", "classify", "extract"};
  private static final String PROMPT = "You are a helpful assistant for ACME Corp. Answer using only the context below. "
      + "Context: order #%d shipped on 2025-09-%02d via ground; the customer asked about a refund for a damaged item and "
      + "whether expedited replacement is possible. Keep the answer under 120 words and cite the order number.";
  private static final String COMPLETION = "Thanks for reaching out about order #%d. I'm sorry the item arrived damaged. "
      + "I've opened a replacement request with expedited shipping at no cost; you'll get a tracking number within 24 hours.";

  private final InMemorySpanExporter finished = InMemorySpanExporter.create();
  private final List<SdkTracerProvider> providers = new ArrayList<>();
  private final List<Tracer> tracers = new ArrayList<>();
  private final List<String> serviceNames = new ArrayList<>();
  private final List<Model> models;
  private final Random random;
  private Instant clock;

  /**
   * @param models the models calls pick from (uniformly; the first few more often, as in real fleets)
   * @param services how many services (resources) send traffic, at most {@value #MAX_SERVICES}
   */
  public TrafficMix(long seed, List<Model> models, int services, Instant start) {
    this.random = new Random(seed);
    this.models = List.copyOf(models);
    this.clock = start;
    for (int i = 0; i < Math.min(services, SERVICES.length); i++) {
      String name = SERVICES[i];
      Resource resource = Resource.getDefault().merge(Resource.create(Attributes.builder()
          .put("service.name", name).put("service.version", "1." + i + ".3").put("service.namespace", "acme")
          .put("service.instance.id", "pod-" + name + "-7d9f8c6b5-" + i)
          .put("deployment.environment.name", "production").put("host.name", "ip-10-0-" + i + "-17.ec2.internal")
          .put("k8s.namespace.name", "llm-apps").put("k8s.pod.name", name + "-7d9f8c6b5-x" + i)
          .put("k8s.deployment.name", name).put("cloud.provider", "aws").put("cloud.region", "us-east-1").build()));
      SdkTracerProvider p = SdkTracerProvider.builder().setResource(resource)
          .addSpanProcessor(SimpleSpanProcessor.create(finished)).build();
      providers.add(p);
      tracers.add(p.get(i % 2 == 0 ? "opentelemetry.instrumentation.openai" : "io.opentelemetry.spring-webmvc-6.0",
          "2.10.0"));
      serviceNames.add(name);
    }
  }

  public static final int MAX_SERVICES = 8;

  /** Emits one request trace and returns its spans (in the order the SDK finished them). */
  public List<SpanData> nextRequest() {
    finished.reset();
    int svc = random.nextInt(tracers.size());
    Tracer tracer = tracers.get(svc);
    Instant start = clock;
    clock = clock.plusMillis(3 + random.nextInt(7));
    Span root = tracer.spanBuilder("POST /api/v1/assist").setSpanKind(SpanKind.SERVER).setStartTimestamp(start)
        .setAllAttributes(httpServer(svc)).startSpan();
    Context parent = Context.root().with(root);

    Span retrieval = tracer.spanBuilder("SELECT documents").setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setStartTimestamp(start.plusMillis(2)).setAllAttributes(database()).startSpan();
    retrieval.end(start.plusMillis(12 + random.nextInt(20)));

    Instant t = start.plusMillis(40);
    int calls = 1 + (random.nextInt(4) == 0 ? 1 : 0);
    for (int c = 0; c < calls; c++) {
      Model m = pickModel();
      int pick = random.nextInt(100);
      if (pick < 25) {
        otelGenAi(tracer, parent, t, m);
      } else if (pick < 40) {
        openLlmetry(tracer, parent, t, m);
      } else if (pick < 55) {
        openInference(tracer, parent, t, m);
      } else if (pick < 65) {
        vercelAi(tracer, parent, t, m);
      } else if (pick < 75) {
        springAi(tracer, parent, t, m);
      } else if (pick < 80) {
        handRolled(tracer, parent, t, m);
      } else if (pick < 87) {
        reasoning(tracer, parent, t, m);
      } else if (pick < 93) {
        unknownModel(tracer, parent, t);
      } else {
        rateLimited(tracer, parent, t, m);
      }
      t = t.plusMillis(900);
    }
    if (random.nextInt(3) == 0) {
      Span tool = tracer.spanBuilder("execute_tool lookup_order").setParent(parent).setSpanKind(SpanKind.INTERNAL)
          .setStartTimestamp(t).setAllAttributes(tool()).startSpan();
      tool.end(t.plusMillis(30));
    }
    root.end(t.plusMillis(50));
    return finished.getFinishedSpanItems();
  }

  private Model pickModel() {
    // A few models carry most traffic; the rest of the fleet's models appear too.
    if (models.size() > 5 && random.nextInt(2) == 0) {
      return models.get(random.nextInt(5));
    }
    return models.get(random.nextInt(models.size()));
  }

  private int tokens(int base) {
    return base / 2 + random.nextInt(base);
  }

  private String hex(int len) {
    StringBuilder sb = new StringBuilder(len);
    while (sb.length() < len) {
      sb.append(Integer.toHexString(random.nextInt(16)));
    }
    return sb.toString();
  }

  private AttributesBuilder common(AttributesBuilder b, String server) {
    return b.put("server.address", server).put("server.port", 443L)
        .put("enduser.id", "user-" + random.nextInt(5_000)).put("session.id", hex(16))
        .put("thread.name", "http-nio-8080-exec-" + random.nextInt(200));
  }

  private Span llm(Tracer tracer, Context parent, String name, Instant start, Attributes attributes) {
    return tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.CLIENT).setStartTimestamp(start)
        .setAllAttributes(attributes).startSpan();
  }

  private Attributes httpServer(int svc) {
    return Attributes.builder().put("http.request.method", "POST").put("http.route", "/api/v1/assist")
        .put("url.path", "/api/v1/assist").put("url.scheme", "https").put("url.query", "lang=en&stream=false")
        .put("http.response.status_code", 200L).put("http.request.body.size", 1_200L + random.nextInt(800))
        .put("http.response.body.size", 800L + random.nextInt(2_000))
        .put("server.address", serviceNames.get(svc) + ".acme.internal").put("server.port", 8080L)
        .put("client.address", "10.0." + random.nextInt(255) + "." + random.nextInt(255))
        .put("user_agent.original", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15")
        .put("network.protocol.version", "1.1").put("network.peer.address", "10.0.3.7").put("network.peer.port", 51_234L)
        .put("enduser.id", "user-" + random.nextInt(5_000)).put("session.id", hex(16))
        .put("thread.name", "http-nio-8080-exec-" + random.nextInt(200)).put("thread.id", 40L + random.nextInt(200))
        .put("code.function.name", "AssistController.assist").build();
  }

  private Attributes database() {
    return Attributes.builder().put("db.system.name", "postgresql").put("db.namespace", "knowledge")
        .put("db.collection.name", "documents").put("db.operation.name", "SELECT")
        .put("db.query.text", "SELECT id, chunk, embedding <=> $1 AS distance FROM documents ORDER BY distance LIMIT $2")
        .put("db.query.summary", "SELECT documents").put("db.response.returned_rows", 8L)
        .put("server.address", "pg-knowledge.acme.internal").put("server.port", 5432L)
        .put("network.peer.address", "10.0.8.21").put("network.peer.port", 5432L).put("network.transport", "tcp")
        .put("db.client.connection.pool.name", "hikari-knowledge").put("db.client.connection.state", "used")
        .put("thread.name", "http-nio-8080-exec-" + random.nextInt(200)).put("thread.id", 40L + random.nextInt(200))
        .put("code.function.name", "DocumentRepository.nearest").put("code.file.path", "DocumentRepository.java")
        .put("code.line.number", 42L).put("enduser.id", "user-" + random.nextInt(5_000)).build();
  }

  private Attributes tool() {
    return Attributes.builder().put("gen_ai.operation.name", "execute_tool").put("gen_ai.tool.name", "lookup_order")
        .put("gen_ai.tool.type", "function").put("gen_ai.tool.call.id", "call_" + hex(24))
        .put("gen_ai.tool.description", "Looks up an order by number")
        .put("http.request.method", "GET").put("url.full", "https://orders.acme.internal/v2/orders/" + random.nextInt(100_000))
        .put("http.response.status_code", 200L).put("server.address", "orders.acme.internal").put("server.port", 443L)
        .put("network.protocol.version", "2").put("thread.name", "tool-exec-" + random.nextInt(8))
        .put("enduser.id", "user-" + random.nextInt(5_000)).put("session.id", hex(16))
        .put("code.function.name", "Tools.lookupOrder").put("code.line.number", 88L)
        .put("retry.count", 0L).put("cache.hit", random.nextBoolean()).put("tenant.id", "tenant-" + random.nextInt(40))
        .build();
  }

  private String feature() {
    return FEATURES[random.nextInt(FEATURES.length)];
  }

  private String prompt() {
    return String.format(PROMPT, random.nextInt(100_000), 1 + random.nextInt(28));
  }

  private String completion() {
    return String.format(COMPLETION, random.nextInt(100_000));
  }

  /** Current OTel GenAI semantic conventions (content not recorded: the convention's default). */
  private void otelGenAi(Tracer tracer, Context parent, Instant start, Model m) {
    int in = tokens(1_200);
    AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
        .put("gen_ai.provider.name", m.provider()).put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", m.name()).put("gen_ai.response.model", m.name())
        .put("gen_ai.request.temperature", 0.2).put("gen_ai.request.max_tokens", 1_024L).put("gen_ai.request.top_p", 1.0)
        .put("gen_ai.response.id", "chatcmpl-" + hex(24)).put("gen_ai.output.type", "text")
        .put("gen_ai.usage.input_tokens", in).put("gen_ai.usage.output_tokens", tokens(300))
        .put("gen_ai.usage.cache_read.input_tokens", in / 2)
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of(random.nextInt(10) == 0 ? "length" : "stop"))
        .put("llm.feature", feature());
    llm(tracer, parent, "chat " + m.name(), start, b.build()).end(start.plusMillis(800 + random.nextInt(600)));
  }

  /** OpenLLMetry before 0.5: gen_ai.system, prompt_tokens, and prompts/completions recorded by default. */
  private void openLlmetry(Tracer tracer, Context parent, Instant start, Model m) {
    AttributesBuilder b = common(Attributes.builder(), "api.anthropic.com")
        .put("gen_ai.system", capitalise(m.provider())).put("llm.request.type", "chat")
        .put("gen_ai.request.model", m.name()).put("gen_ai.response.model", m.name())
        .put("gen_ai.request.max_tokens", 2_048L).put("gen_ai.request.temperature", 0.7).put("llm.is_streaming", false)
        .put("gen_ai.usage.prompt_tokens", tokens(2_000)).put("gen_ai.usage.completion_tokens", tokens(400))
        .put("gen_ai.usage.cache_read_input_tokens", 600).put("gen_ai.usage.cache_creation_input_tokens", 200)
        .put("llm.usage.total_tokens", 3_000L).put("gen_ai.response.id", "msg_" + hex(24))
        .put("gen_ai.prompt.0.role", "user").put("gen_ai.prompt.0.content", prompt())
        .put("gen_ai.completion.0.role", "assistant").put("gen_ai.completion.0.content", completion())
        .put("traceloop.workflow.name", "summarise-ticket");
    llm(tracer, parent, "anthropic.chat", start, b.build()).end(start.plusMillis(1_200 + random.nextInt(800)));
  }

  /** OpenInference (Arize Phoenix): llm.* token counts, input.value/output.value recorded by default. */
  private void openInference(Tracer tracer, Context parent, Instant start, Model m) {
    AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
        .put("openinference.span.kind", "LLM").put("llm.provider", m.provider()).put("llm.system", m.provider())
        .put("llm.model_name", m.name()).put("llm.token_count.prompt", tokens(900))
        .put("llm.token_count.completion", tokens(200)).put("llm.token_count.total", 1_100)
        .put("llm.token_count.prompt_details.cache_read", 128)
        .put("llm.invocation_parameters", "{\"temperature\": 0.1, \"max_tokens\": 512}")
        .put("input.mime_type", "application/json").put("output.mime_type", "application/json")
        .put("input.value", prompt()).put("output.value", completion())
        .put("metadata", "{\"tenant\": \"acme\"}");
    llm(tracer, parent, "ChatCompletion", start, b.build()).end(start.plusMillis(400 + random.nextInt(400)));
  }

  /** Vercel AI SDK: an aggregate ai.generateText span (not a call) over two doGenerate steps. */
  private void vercelAi(Tracer tracer, Context parent, Instant start, Model m) {
    int in1 = tokens(700);
    int out1 = tokens(120);
    int in2 = tokens(900);
    int out2 = tokens(200);
    String provider = m.provider() + ".chat";
    Span agg = tracer.spanBuilder("ai.generateText").setParent(parent).setStartTimestamp(start.plusMillis(2))
        .setAllAttributes(common(Attributes.builder(), "api.openai.com").put("ai.operationId", "ai.generateText")
            .put("operation.name", "ai.generateText support").put("ai.telemetry.functionId", "support")
            .put("ai.model.provider", provider).put("ai.model.id", m.name()).put("ai.settings.maxRetries", 2L)
            .put("ai.settings.maxSteps", 5L).put("ai.prompt", "{\"prompt\":\"" + prompt() + "\"}")
            .put("ai.response.text", completion()).put("ai.response.finishReason", "stop")
            .put("ai.usage.promptTokens", in1 + in2).put("ai.usage.completionTokens", out1 + out2).build())
        .startSpan();
    Context c = parent.with(agg);
    for (int step = 0; step < 2; step++) {
      Instant st = start.plusMillis(10 + step * 600L);
      AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
          .put("ai.operationId", "ai.generateText.doGenerate").put("operation.name", "ai.generateText.doGenerate support")
          .put("ai.model.provider", provider).put("ai.model.id", m.name()).put("gen_ai.system", provider)
          .put("gen_ai.request.model", m.name()).put("gen_ai.response.model", m.name())
          .put("ai.response.id", "resp_" + hex(20)).put("ai.response.model", m.name())
          .put("ai.settings.maxRetries", 2L).put("ai.telemetry.functionId", "support")
          .put("ai.usage.promptTokens", step == 0 ? in1 : in2).put("ai.usage.completionTokens", step == 0 ? out1 : out2)
          .put("ai.response.finishReason", step == 0 ? "tool-calls" : "stop")
          .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of(step == 0 ? "tool-calls" : "stop"));
      llm(tracer, c, "ai.generateText.doGenerate", st, b.build()).end(st.plusMillis(550));
    }
    agg.end(start.plusMillis(1_300));
  }

  /** Spring AI through Micrometer: every value a string. */
  private void springAi(Tracer tracer, Context parent, Instant start, Model m) {
    AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
        .put("gen_ai.system", m.provider()).put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", m.name()).put("gen_ai.response.model", m.name())
        .put("gen_ai.request.temperature", "0.7").put("gen_ai.request.max_tokens", "1024")
        .put("gen_ai.usage.input_tokens", String.valueOf(tokens(800)))
        .put("gen_ai.usage.output_tokens", String.valueOf(tokens(150)))
        .put("gen_ai.usage.total_tokens", "950").put("gen_ai.response.finish_reasons", "[\"STOP\"]")
        .put("gen_ai.response.id", "chatcmpl-" + hex(24)).put("spring.ai.kind", "chat_client")
        .put("spring.ai.chat.client.advisors", "[\"SimpleLoggerAdvisor\"]").put("error", "none")
        .put("gen_ai.agent.name", "planner");
    llm(tracer, parent, "chat " + m.name(), start, b.build()).end(start.plusMillis(600 + random.nextInt(400)));
  }

  /** Seed 004's hand-rolled span: llm.* names and Anthropic's own input count that leaves cache out. */
  private void handRolled(Tracer tracer, Context parent, Instant start, Model m) {
    AttributesBuilder b = common(Attributes.builder(), "internal-gateway.acme.internal")
        .put("llm.model", m.name()).put("llm.prompt_tokens", 150).put("llm.completion_tokens", tokens(400))
        .put("gen_ai.usage.cache_read_input_tokens", 3_000)
        .put("llm.finish_reason", random.nextInt(5) == 0 ? "max_tokens" : "end_turn")
        .put("llm.temperature", 0.0).put("llm.request_id", "req_" + hex(20)).put("llm.latency_ms", 900L)
        .put("app.component", "summariser").put("app.team", "support-tools").put("app.retry", 0L)
        .put("llm.gateway", "acme-llm-gateway").put("llm.feature", feature()).put("tenant.id", "tenant-" + random.nextInt(40));
    llm(tracer, parent, "llm.call", start, b.build()).end(start.plusMillis(900 + random.nextInt(900)));
  }

  private void reasoning(Tracer tracer, Context parent, Instant start, Model m) {
    int out = tokens(2_000);
    AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
        .put("gen_ai.provider.name", m.provider()).put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", m.name()).put("gen_ai.response.model", m.name())
        .put("gen_ai.request.max_tokens", 8_192L).put("gen_ai.openai.request.reasoning_effort", "medium")
        .put("gen_ai.response.id", "chatcmpl-" + hex(24)).put("gen_ai.output.type", "text")
        .put("gen_ai.usage.input_tokens", tokens(700)).put("gen_ai.usage.output_tokens", out)
        .put("gen_ai.usage.reasoning.output_tokens", out * 3 / 4)
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("stop"))
        .put("gen_ai.agent.name", "planner").put("gen_ai.conversation.id", "conv_" + hex(16));
    llm(tracer, parent, "chat " + m.name(), start, b.build()).end(start.plusMillis(3_000 + random.nextInt(3_000)));
  }

  private void unknownModel(Tracer tracer, Context parent, Instant start) {
    AttributesBuilder b = common(Attributes.builder(), "vllm.acme.internal")
        .put("gen_ai.provider.name", "self-hosted").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "acme-llm-7b").put("gen_ai.response.model", "acme-llm-7b")
        .put("gen_ai.request.temperature", 0.3).put("gen_ai.request.max_tokens", 512L)
        .put("gen_ai.response.id", "cmpl-" + hex(24)).put("gen_ai.usage.input_tokens", tokens(600))
        .put("gen_ai.usage.output_tokens", tokens(100))
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("stop"))
        .put("llm.feature", feature()).put("vllm.gpu", "a10g").put("vllm.replica", "vllm-" + random.nextInt(4));
    llm(tracer, parent, "chat acme-llm-7b", start, b.build()).end(start.plusMillis(300 + random.nextInt(300)));
  }

  private void rateLimited(Tracer tracer, Context parent, Instant start, Model m) {
    AttributesBuilder b = common(Attributes.builder(), "api.openai.com")
        .put("gen_ai.provider.name", m.provider()).put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", m.name()).put("gen_ai.request.temperature", 0.2)
        .put("gen_ai.request.max_tokens", 1_024L).put("error.type", "429")
        .put("http.response.status_code", 429L).put("retry.after", "20").put("llm.feature", feature())
        .put("exception.type", "RateLimitError").put("exception.message", "Rate limit reached for requests");
    Span s = llm(tracer, parent, "chat " + m.name(), start, b.build());
    s.setStatus(StatusCode.ERROR, "Rate limit reached");
    s.end(start.plusMillis(120));
  }

  private static String capitalise(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  @Override
  public void close() {
    providers.forEach(SdkTracerProvider::close);
  }
}
