import { SerializerSelector, type Serializer, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/*
 * Schema compilers shared by every server this process builds. Compiling the routes' schemas is
 * most of what building a server costs (a test suite builds hundreds), and each build brings the
 * same schemas again, as new objects: each is compiled once per process, found again by its JSON
 * text. Two schemas with the same text compile to the same function.
 */

const serializerSelector = SerializerSelector();
const serializers = new Map<string, Map<string, Serializer>>();

/** Fastify's serializer factory (`schemaController.compilersFactory.buildSerializer`), remembering what it compiled for the same shared schemas. */
export const buildSharedSerializer: SerializerFactory = (externalSchemas, options) => {
  const key = JSON.stringify([externalSchemas, options ?? null]);
  let compiled = serializers.get(key);
  if (!compiled) serializers.set(key, (compiled = new Map()));
  const compile = serializerSelector(externalSchemas, options);
  return (route) => {
    const text = JSON.stringify(route.schema);
    let serializer = compiled.get(text);
    if (!serializer) compiled.set(text, (serializer = compile(route)));
    return serializer;
  };
};

interface RequestValidators {
  compile(schema: AnySchema, httpPart: string | undefined): ValidateFunction;
}

/** The request validators (JSON bodies as typed; text parts coerced), one set per set of shared schemas. */
const validators = new Map<string, RequestValidators>();

export function sharedRequestValidators(sharedSchemas: readonly AnySchema[]): RequestValidators {
  const key = JSON.stringify(sharedSchemas);
  let found = validators.get(key);
  if (!found) {
    const ajv = (coerceTypes: false | 'array') => {
      const instance = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: true, allErrors: false, addUsedSchema: false, strict: false });
      addFormats.default(instance);
      for (const schema of sharedSchemas) instance.addSchema(schema);
      return instance;
    };
    const [bodies, text] = [ajv(false), ajv('array')];
    const compiled = new Map<string, ValidateFunction>();
    found = {
      compile(schema, httpPart) {
        const part = httpPart === 'body' ? 'body' : 'text';
        const key = `${part}\0${JSON.stringify(schema)}`;
        let validate = compiled.get(key);
        if (!validate) compiled.set(key, (validate = (part === 'body' ? bodies : text).compile(schema)));
        return validate;
      },
    };
    validators.set(key, found);
  }
  return found;
}
