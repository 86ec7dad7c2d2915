package io.strimzi.crdgenerator.annotations;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declaration of the annotation Strimzi's API classes carry on properties that a CRD version
 * requires (for example {@code @RequiredInVersions("v1+")} on {@code KafkaConnectSpec.getGroupId()}).
 * Strimzi publishes it in its CRD generator, which is not on Maven Central for the Strimzi version
 * used here, and in later releases compiled for Java 21; without a declaration on the class path the
 * JVM drops the annotation silently. Declaring the same name lets {@link io.tokenmeter.deploy.SchemaValidator}
 * read it.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.FIELD})
public @interface RequiredInVersions {
    /** An API version range such as {@code v1+}. */
    String value();
}
