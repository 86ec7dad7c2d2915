package io.tokenmeter.demo;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * Realistic LLM traffic in the dialects seen in the wild (BRIEF section 6), made with the
 * OpenTelemetry SDK: each call is a trace of an HTTP server span and one or more LLM client spans
 * whose attributes are written the way each instrumentation writes them, traps included.
 */
public final class SampleTraffic {
  private final Tracer tracer;
  private final Random random;

  public SampleTraffic(Tracer tracer, long seed) {
    this.tracer = tracer;
    this.random = new Random(seed);
  }

  /** Emits one request trace in a randomly chosen dialect; returns the dialect's name. */
  public String emitOne() {
    int pick = random.nextInt(11);
    Instant start = Instant.now().minusMillis(2_000 + random.nextInt(3_000));
    Span root = tracer.spanBuilder("POST /api/assistant").setSpanKind(SpanKind.SERVER)
        .setStartTimestamp(start).setAttribute("http.request.method", "POST").startSpan();
    Context parent = Context.current().with(root);
    String dialect = switch (pick) {
      case 0 -> otelGenAi(parent, start);
      case 1 -> openLlmetryAnthropic(parent, start);
      case 2 -> openInference(parent, start);
      case 3 -> vercelAi(parent, start);
      case 4 -> springAi(parent, start);
      case 5 -> bedrock(parent, start);
      case 6 -> geminiLongContext(parent, start);
      case 7 -> handRolled(parent, start);
      case 8 -> unknownModel(parent, start);
      case 9 -> rateLimited(parent, start);
      default -> reasoning(parent, start);
    };
    root.end(start.plusMillis(1_900));
    return dialect;
  }

  private Span llm(Context parent, String name, Instant start, Attributes attributes) {
    return tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.CLIENT).setStartTimestamp(start)
        .setAllAttributes(attributes).startSpan();
  }

  private int tokens(int base) {
    return base / 2 + random.nextInt(base);
  }

  private String otelGenAi(Context parent, Instant start) {
    int in = tokens(1_200);
    Span s = llm(parent, "chat gpt-4o", start.plusMillis(10), Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o").put("gen_ai.response.model", "gpt-4o-2024-08-06")
        .put("gen_ai.usage.input_tokens", in).put("gen_ai.usage.output_tokens", tokens(300))
        .put("gen_ai.usage.cache_read.input_tokens", in / 2)
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of(random.nextInt(10) == 0 ? "length" : "stop"))
        .put("llm.feature", "support-chat").build());
    s.end(start.plusMillis(800 + random.nextInt(600)));
    return "otel_genai";
  }

  private String openLlmetryAnthropic(Context parent, Instant start) {
    Span s = llm(parent, "anthropic.chat", start.plusMillis(5), Attributes.builder()
        .put("gen_ai.system", "Anthropic").put("llm.request.type", "chat")
        .put("gen_ai.request.model", "claude-3-5-sonnet-20241022").put("gen_ai.response.model", "claude-3-5-sonnet-20241022")
        .put("gen_ai.usage.prompt_tokens", tokens(2_000)).put("gen_ai.usage.completion_tokens", tokens(400))
        .put("gen_ai.usage.cache_read_input_tokens", 600).put("gen_ai.usage.cache_creation_input_tokens", 200)
        .put("traceloop.workflow.name", "summarise-ticket").build());
    s.end(start.plusMillis(1_200 + random.nextInt(800)));
    return "openllmetry";
  }

  private String openInference(Context parent, Instant start) {
    Span s = llm(parent, "ChatCompletion", start.plusMillis(5), Attributes.builder()
        .put("openinference.span.kind", "LLM").put("llm.provider", "openai").put("llm.system", "openai")
        .put("llm.model_name", "gpt-4o-mini").put("llm.token_count.prompt", tokens(900))
        .put("llm.token_count.completion", tokens(200)).put("llm.token_count.total", 1_100)
        .put("llm.token_count.prompt_details.cache_read", 128).build());
    s.end(start.plusMillis(400 + random.nextInt(400)));
    return "openinference";
  }

  private String vercelAi(Context parent, Instant start) {
    int in1 = tokens(700);
    int out1 = tokens(120);
    int in2 = tokens(900);
    int out2 = tokens(200);
    Span agg = tracer.spanBuilder("ai.generateText").setParent(parent).setStartTimestamp(start.plusMillis(2))
        .setAllAttributes(Attributes.builder().put("ai.operationId", "ai.generateText")
            .put("ai.model.provider", "openai.chat").put("ai.model.id", "gpt-4o")
            .put("ai.usage.promptTokens", in1 + in2).put("ai.usage.completionTokens", out1 + out2).build())
        .startSpan();
    Context c = parent.with(agg);
    for (int step = 0; step < 2; step++) {
      Instant st = start.plusMillis(10 + step * 600L);
      Span s = llm(c, "ai.generateText.doGenerate", st, Attributes.builder()
          .put("ai.operationId", "ai.generateText.doGenerate").put("ai.model.provider", "openai.chat")
          .put("ai.model.id", "gpt-4o").put("gen_ai.system", "openai.chat").put("gen_ai.request.model", "gpt-4o")
          .put("ai.usage.promptTokens", step == 0 ? in1 : in2).put("ai.usage.completionTokens", step == 0 ? out1 : out2)
          .put("ai.response.finishReason", step == 0 ? "tool-calls" : "stop").build());
      s.end(st.plusMillis(550));
    }
    agg.end(start.plusMillis(1_300));
    return "vercel_ai";
  }

  private String springAi(Context parent, Instant start) {
    // Spring AI reaches OTel through Micrometer observations: every value is a string.
    Span s = llm(parent, "chat gpt-4o-mini", start.plusMillis(8), Attributes.builder()
        .put("gen_ai.system", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o-mini").put("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
        .put("gen_ai.usage.input_tokens", String.valueOf(tokens(800)))
        .put("gen_ai.usage.output_tokens", String.valueOf(tokens(150)))
        .put("gen_ai.usage.total_tokens", "950").put("gen_ai.response.finish_reasons", "[\"STOP\"]").build());
    s.end(start.plusMillis(600 + random.nextInt(400)));
    return "spring_ai";
  }

  private String bedrock(Context parent, Instant start) {
    Span s = llm(parent, "chat us.anthropic.claude-3-5-sonnet-20241022-v2:0", start.plusMillis(5), Attributes.builder()
        .put("gen_ai.system", "aws.bedrock").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "us.anthropic.claude-3-5-sonnet-20241022-v2:0")
        .put("gen_ai.usage.input_tokens", tokens(1_500)).put("gen_ai.usage.output_tokens", tokens(300))
        .put(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"), List.of("end_turn")).build());
    s.end(start.plusMillis(1_500 + random.nextInt(1_000)));
    return "bedrock";
  }

  private String geminiLongContext(Context parent, Instant start) {
    boolean longContext = random.nextInt(4) == 0;
    Span s = llm(parent, "generate_content gemini-2.5-pro", start.plusMillis(5), Attributes.builder()
        .put("gen_ai.provider.name", "gcp.vertex_ai").put("gen_ai.operation.name", "generate_content")
        .put("gen_ai.request.model", "models/gemini-2.5-pro")
        .put("gen_ai.usage.input_tokens", longContext ? 210_000 + random.nextInt(10_000) : tokens(5_000))
        .put("gen_ai.usage.output_tokens", tokens(500)).build());
    s.end(start.plusMillis(2_000 + random.nextInt(2_000)));
    return "otel_genai_vertex";
  }

  private String handRolled(Context parent, Instant start) {
    // Seed 004's hand-rolled span: llm.* names, and Anthropic's own input count that leaves cache out.
    Span s = llm(parent, "llm.call", start.plusMillis(5), Attributes.builder()
        .put("llm.model", "claude-sonnet-4-20250514").put("llm.prompt_tokens", 150)
        .put("llm.completion_tokens", tokens(400)).put("gen_ai.usage.cache_read_input_tokens", 3_000)
        .put("llm.finish_reason", random.nextInt(5) == 0 ? "max_tokens" : "end_turn").build());
    s.end(start.plusMillis(900 + random.nextInt(900)));
    return "hand_rolled";
  }

  private String unknownModel(Context parent, Instant start) {
    Span s = llm(parent, "chat acme-llm-7b", start.plusMillis(5), Attributes.builder()
        .put("gen_ai.provider.name", "self-hosted").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "acme-llm-7b").put("gen_ai.usage.input_tokens", tokens(600))
        .put("gen_ai.usage.output_tokens", tokens(100)).build());
    s.end(start.plusMillis(300 + random.nextInt(300)));
    return "unpriced";
  }

  private String rateLimited(Context parent, Instant start) {
    Span s = llm(parent, "chat gpt-4o", start.plusMillis(5), Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "gpt-4o").put("error.type", "429").build());
    s.setStatus(StatusCode.ERROR, "Rate limit reached");
    s.end(start.plusMillis(120));
    return "error";
  }

  private String reasoning(Context parent, Instant start) {
    int out = tokens(2_000);
    AttributesBuilder a = Attributes.builder()
        .put("gen_ai.provider.name", "openai").put("gen_ai.operation.name", "chat")
        .put("gen_ai.request.model", "o3-mini").put("gen_ai.response.model", "o3-mini-2025-01-31")
        .put("gen_ai.usage.input_tokens", tokens(700)).put("gen_ai.usage.output_tokens", out)
        .put("gen_ai.usage.reasoning.output_tokens", out * 3 / 4)
        .put("gen_ai.agent.name", "planner");
    Span s = llm(parent, "chat o3-mini", start.plusMillis(5), a.build());
    s.end(start.plusMillis(3_000 + random.nextInt(3_000)));
    return "reasoning";
  }
}
