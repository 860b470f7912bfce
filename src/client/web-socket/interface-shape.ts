// Web IDL puts attributes, constants and operations on an interface's prototype as enumerable
// properties in the order of the IDL, constants on the constructor too, and a constructor's `length`
// counts only its required arguments. Classes do otherwise; this reshapes one after the fact, so that
// code that inspects the object (or copies its properties) sees what a browser shows.

export interface InterfaceShape {
  /** The prototype's members in IDL order: accessors, methods, and the names of `constants`. */
  readonly members: readonly string[];
  readonly constants?: Readonly<Record<string, number>>;
  /** Required arguments of the constructor. */
  readonly length: number;
  /** Required arguments of the methods whose declared parameters say otherwise. */
  readonly methodLengths?: Readonly<Record<string, number>>;
  readonly tag: string;
}

export function shapeInterface(klass: { prototype: object }, shape: InterfaceShape): void {
  const prototype = klass.prototype as Record<string | symbol, unknown>;
  const constants = shape.constants ?? {};
  for (const name of [...shape.members, 'constructor']) {
    if (Object.hasOwn(constants, name)) {
      const descriptor = { value: constants[name], enumerable: true, writable: false, configurable: false };
      delete (klass as Record<string, unknown>)[name];
      Object.defineProperty(klass, name, descriptor);
      Object.defineProperty(prototype, name, descriptor);
      continue;
    }
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (descriptor === undefined) throw new Error(`${shape.tag}.prototype has no ${name}`);
    // Deleting and defining again moves the property to the end: the IDL order results.
    delete prototype[name];
    Object.defineProperty(prototype, name, { ...descriptor, enumerable: name !== 'constructor' });
  }
  for (const [name, length] of Object.entries(shape.methodLengths ?? {})) {
    Object.defineProperty(prototype[name] as object, 'length', { value: length });
  }
  Object.defineProperty(klass, 'length', { value: shape.length });
  Object.defineProperty(prototype, Symbol.toStringTag, { value: shape.tag, configurable: true });
}
