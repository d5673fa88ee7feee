const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string) => UUID.test(value);

export const newId = () => crypto.randomUUID();

/** Ids are stored lower-case so that a client spelling one in upper case still finds its row. */
export const normalizeId = (value: string) => value.toLowerCase();
