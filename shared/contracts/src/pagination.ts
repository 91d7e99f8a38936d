import { type Static, Type } from 'typebox';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;
/** Past this, offset paging is the wrong tool (use the cursor); it also keeps OFFSET inside bigint. */
export const MAX_PAGE_OFFSET = 10_000_000;

/** The list query every collection accepts (API.md "Lists"). */
export function listQuerySchema<const Sort extends string>(sortFields: readonly Sort[]) {
  const sortValues = sortFields.flatMap((field) => [field, `-${field}`]);
  return Type.Object(
    {
      offset: Type.Integer({ minimum: 0, maximum: MAX_PAGE_OFFSET, default: 0 }),
      limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
      q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      sort: Type.Optional(Type.Unsafe<Sort | `-${Sort}`>({ type: 'string', enum: sortValues })),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    },
    { additionalProperties: false },
  );
}

export type ListQuery = Static<ReturnType<typeof listQuerySchema>>;
