package io.tokenmeter.genai;

import java.util.Locale;
import java.util.Map;

/**
 * Canonical provider names. Instrumentations write {@code openai}, {@code Anthropic} (OpenLLMetry
 * before 0.5), {@code openai.chat} (Vercel AI), {@code aws.bedrock} or {@code az.ai.openai}
 * (semantic conventions); the canonical name is the OTel {@code gen_ai.provider.name} value where
 * one exists.
 */
public final class Providers {
  private static final Map<String, String> ALIASES = Map.ofEntries(
      Map.entry("aws.bedrock", "aws.bedrock"),
      Map.entry("bedrock", "aws.bedrock"),
      Map.entry("amazon-bedrock", "aws.bedrock"),
      Map.entry("az.ai.openai", "azure.ai.openai"),
      Map.entry("azure.ai.openai", "azure.ai.openai"),
      Map.entry("azure", "azure.ai.openai"),
      Map.entry("azure-openai", "azure.ai.openai"),
      Map.entry("azure_openai", "azure.ai.openai"),
      Map.entry("az.ai.inference", "azure.ai.inference"),
      Map.entry("azure.ai.inference", "azure.ai.inference"),
      Map.entry("gcp.vertex_ai", "gcp.vertex_ai"),
      Map.entry("vertex_ai", "gcp.vertex_ai"),
      Map.entry("vertexai", "gcp.vertex_ai"),
      Map.entry("google-vertex", "gcp.vertex_ai"),
      Map.entry("gcp.gemini", "gcp.gemini"),
      Map.entry("gemini", "gcp.gemini"),
      Map.entry("google", "gcp.gemini"),
      Map.entry("google.generative-ai", "gcp.gemini"),
      Map.entry("gcp.gen_ai", "gcp.gen_ai"),
      Map.entry("mistralai", "mistral_ai"),
      Map.entry("mistral", "mistral_ai"),
      Map.entry("xai", "x_ai"),
      Map.entry("ibm.watsonx.ai", "ibm.watsonx.ai"),
      Map.entry("watsonx", "ibm.watsonx.ai"));

  /** Where a provider's models sit in LiteLLM's catalog under a prefix ({@code azure/gpt-4o}). */
  private static final Map<String, String> CATALOG_PREFIX = Map.of(
      "azure.ai.openai", "azure",
      "azure.ai.inference", "azure_ai",
      "aws.bedrock", "bedrock",
      "gcp.vertex_ai", "vertex_ai",
      "gcp.gemini", "gemini",
      "mistral_ai", "mistral",
      "x_ai", "xai",
      "groq", "groq",
      "deepseek", "deepseek",
      "perplexity", "perplexity");

  private Providers() {}

  public static String canonical(String raw) {
    if (raw == null || raw.isBlank()) {
      return null;
    }
    String p = raw.trim().toLowerCase(Locale.ROOT);
    String known = ALIASES.get(p);
    if (known != null) {
      return known;
    }
    if (p.startsWith("vertex_ai")) {
      return "gcp.vertex_ai"; // LiteLLM's vertex_ai-language-models, vertex_ai-anthropic_models, ...
    }
    // Vercel AI writes "<provider>.<api>" ("openai.chat", "anthropic.messages").
    int dot = p.indexOf('.');
    if (dot > 0) {
      String head = p.substring(0, dot);
      String k = ALIASES.get(head);
      return k != null ? k : head;
    }
    return p;
  }

  /** The LiteLLM catalog prefix for a canonical provider, or the provider itself. */
  public static String catalogPrefix(String canonical) {
    return canonical == null ? null : CATALOG_PREFIX.getOrDefault(canonical, canonical);
  }
}
