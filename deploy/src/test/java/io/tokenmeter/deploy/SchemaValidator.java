package io.tokenmeter.deploy;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.MapperConfig;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.strimzi.crdgenerator.annotations.RequiredInVersions;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates one rendered Kubernetes object against the schema of its kind, rejecting unknown
 * fields (what {@code kubectl apply --validate=strict} and {@code kubeconform -strict} do).
 *
 * <ul>
 *   <li>Built-in kinds: the official Kubernetes Java client's models ({@code io.kubernetes:client-java-api}),
 *       generated from the Kubernetes OpenAPI document. Their {@code validateJsonElement} rejects
 *       fields the schema does not define and required fields that are missing, recursively;
 *       binding with the client's Gson then rejects wrongly typed values.</li>
 *   <li>Strimzi kinds: Strimzi's own API classes ({@code io.strimzi:api}); Strimzi generates its
 *       CRDs from them. prometheus-operator kinds: fabric8's models, generated from the
 *       prometheus-operator CRDs. Both keep unknown fields in an "additional properties" map;
 *       here Jackson binds them with that map switched off, so an unknown field is an error,
 *       enums and types are checked by binding, and required properties
 *       ({@code @JsonProperty(required = true)}, Strimzi's {@code @RequiredInVersions}) are
 *       checked after binding.</li>
 * </ul>
 * A kind with no schema here is an error too: nothing passes unchecked.
 */
public final class SchemaValidator {

    private static final String K8S_MODELS = "io.kubernetes.client.openapi.models.";

    /** apiVersion + "/" + kind of built-in kinds, to the client-java model class. */
    private static final Map<String, String> BUILT_IN = Map.ofEntries(
            Map.entry("v1/ConfigMap", "V1ConfigMap"),
            Map.entry("v1/Secret", "V1Secret"),
            Map.entry("v1/Service", "V1Service"),
            Map.entry("v1/ServiceAccount", "V1ServiceAccount"),
            Map.entry("v1/Namespace", "V1Namespace"),
            Map.entry("v1/PersistentVolumeClaim", "V1PersistentVolumeClaim"),
            Map.entry("apps/v1/StatefulSet", "V1StatefulSet"),
            Map.entry("apps/v1/Deployment", "V1Deployment"),
            Map.entry("batch/v1/Job", "V1Job"),
            Map.entry("batch/v1/CronJob", "V1CronJob"),
            Map.entry("policy/v1/PodDisruptionBudget", "V1PodDisruptionBudget"),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", "V1NetworkPolicy"),
            Map.entry("rbac.authorization.k8s.io/v1/Role", "V1Role"),
            Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", "V1RoleBinding"));

    /** apiVersion + "/" + kind of custom resources, to the model class generated with/from its CRD. */
    private static final Map<String, String> CUSTOM = Map.ofEntries(
            Map.entry("kafka.strimzi.io/v1/KafkaTopic", "io.strimzi.api.kafka.model.topic.KafkaTopic"),
            Map.entry("kafka.strimzi.io/v1/KafkaUser", "io.strimzi.api.kafka.model.user.KafkaUser"),
            Map.entry("kafka.strimzi.io/v1/KafkaConnect", "io.strimzi.api.kafka.model.connect.KafkaConnect"),
            Map.entry("kafka.strimzi.io/v1/KafkaConnector", "io.strimzi.api.kafka.model.connector.KafkaConnector"),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor",
                    "io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor"),
            Map.entry("monitoring.coreos.com/v1/PodMonitor",
                    "io.fabric8.openshift.api.model.monitoring.v1.PodMonitor"),
            Map.entry("monitoring.coreos.com/v1/PrometheusRule",
                    "io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule"));

    /** The CRD version the custom resources are written in (Strimzi 1.x serves only v1). */
    private static final String CRD_VERSION = "v1";

    private final ObjectMapper strict;

    public SchemaValidator() {
        strict = new ObjectMapper()
                .setAnnotationIntrospector(new StrictIntrospector())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
    }

    /** Kinds this validator has a schema for, as {@code apiVersion/kind}. */
    public static Set<String> knownKinds() {
        var all = new java.util.TreeSet<>(BUILT_IN.keySet());
        all.addAll(CUSTOM.keySet());
        return all;
    }

    /** @return the problems found, empty when the object is valid. */
    public List<String> validate(JsonNode object) {
        List<String> errors = new ArrayList<>();
        if (!(object instanceof ObjectNode)) {
            errors.add("not an object: " + object);
            return errors;
        }
        String apiVersion = object.path("apiVersion").asText("");
        String kind = object.path("kind").asText("");
        String id = describe(object);
        if (apiVersion.isEmpty() || kind.isEmpty()) {
            errors.add(id + ": apiVersion and kind are required");
            return errors;
        }
        if (!object.path("metadata").path("name").isTextual()
                || object.path("metadata").path("name").asText().isEmpty()) {
            errors.add(id + ": metadata.name is required");
        }
        String key = apiVersion + "/" + kind;
        if (BUILT_IN.containsKey(key)) {
            validateBuiltIn(id, BUILT_IN.get(key), object, errors);
        } else if (CUSTOM.containsKey(key)) {
            validateCustom(id, CUSTOM.get(key), object, errors);
        } else {
            errors.add(id + ": no schema for " + key + " (known: " + knownKinds() + ")");
        }
        return errors;
    }

    public static String describe(JsonNode object) {
        return object.path("kind").asText("?") + "/" + object.path("metadata").path("name").asText("?");
    }

    private static void validateBuiltIn(String id, String model, JsonNode object, List<String> errors) {
        String json = object.toString();
        try {
            Class<?> type = Class.forName(K8S_MODELS + model);
            JsonElement element = JsonParser.parseString(json);
            Method validate = type.getMethod("validateJsonElement", JsonElement.class);
            validate.invoke(null, element);
            io.kubernetes.client.openapi.JSON.deserialize(json, type);
        } catch (InvocationTargetException e) {
            errors.add(id + ": " + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            errors.add(id + ": schema " + model + " unavailable: " + e);
        } catch (RuntimeException e) {
            errors.add(id + ": " + e.getMessage());
        }
    }

    private void validateCustom(String id, String model, JsonNode object, List<String> errors) {
        Object bound;
        try {
            Class<?> type = Class.forName(model);
            bound = strict.treeToValue(object, type);
        } catch (UnrecognizedPropertyException e) {
            errors.add(id + ": unknown field '" + e.getPropertyName() + "' at " + path(e.getPath()));
            return;
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            errors.add(id + ": " + e.getOriginalMessage() + " at " + path(e.getPath()));
            return;
        } catch (Exception e) {
            errors.add(id + ": " + e);
            return;
        }
        checkRequired(bound, object, "", errors, id, new IdentityHashMap<>());
    }

    private static String path(List<com.fasterxml.jackson.databind.JsonMappingException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (var ref : refs) {
            if (ref.getFieldName() != null) {
                sb.append('.').append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "." : sb.toString();
    }

    /**
     * Walks the bound model beside the source tree: reports required properties absent from the
     * source, and values present in the source that did not bind (e.g. an enum creator returning
     * null for an unknown value).
     */
    private void checkRequired(Object value, JsonNode node, String at, List<String> errors, String id,
                               IdentityHashMap<Object, Boolean> seen) {
        if (value == null) {
            if (node != null && !node.isNull() && !node.isMissingNode()) {
                errors.add(id + ": invalid value " + node + " at " + at);
            }
            return;
        }
        if (seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                checkRequired(item, node == null ? null : node.get(i), at + "[" + i + "]", errors, id, seen);
                i++;
            }
            return;
        }
        if (value instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                String key = String.valueOf(e.getKey());
                checkRequired(e.getValue(), node == null ? null : node.get(key), at + "." + key, errors, id, seen);
            }
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!(pkg.startsWith("io.strimzi.") || pkg.startsWith("io.fabric8."))
                || value.getClass().isEnum()) {
            return;
        }
        JavaType type = strict.constructType(value.getClass());
        BeanDescription description = strict.getSerializationConfig().introspect(type);
        for (BeanPropertyDefinition property : description.findProperties()) {
            AnnotatedMember accessor = property.getAccessor();
            if (accessor == null || "additionalProperties".equals(property.getName())) {
                continue;
            }
            accessor.fixAccess(true);
            Object child;
            try {
                child = accessor.getValue(value);
            } catch (RuntimeException e) {
                continue;
            }
            String childAt = at + "." + property.getName();
            JsonNode childNode = node == null ? null : node.get(property.getName());
            boolean present = childNode != null && !childNode.isNull();
            if (!present && (property.isRequired() || requiredInVersion(property))) {
                errors.add(id + ": required field missing at " + childAt);
                continue;
            }
            if (childNode == null) {
                continue;
            }
            checkRequired(child, childNode, childAt, errors, id, seen);
        }
    }

    private static boolean requiredInVersion(BeanPropertyDefinition property) {
        RequiredInVersions required = annotation(property, RequiredInVersions.class);
        if (required == null) {
            return false;
        }
        // An ApiVersionRange: "v1", "v1beta2+", ...; v1 is the newest version, so any open range holds it.
        for (String range : required.value().split(",")) {
            String r = range.trim();
            if (r.endsWith("+") || r.equals(CRD_VERSION)) {
                return true;
            }
        }
        return false;
    }

    private static <A extends Annotation> A annotation(BeanPropertyDefinition property, Class<A> type) {
        for (Annotated member : new Annotated[] {property.getGetter(), property.getField(), property.getSetter()}) {
            if (member != null && member.getAnnotation(type) != null) {
                return member.getAnnotation(type);
            }
        }
        return null;
    }

    /** Jackson introspection without the "keep unknown fields" escape hatches of the generated models. */
    private static final class StrictIntrospector extends JacksonAnnotationIntrospector {
        private static final long serialVersionUID = 1L;

        @Override
        public Boolean hasAnySetter(Annotated a) {
            return Boolean.FALSE;
        }

        @Override
        public JsonIgnoreProperties.Value findPropertyIgnoralByName(MapperConfig<?> config, Annotated a) {
            JsonIgnoreProperties.Value value = super.findPropertyIgnoralByName(config, a);
            return value == null ? null : value.withoutIgnoreUnknown();
        }
    }
}
