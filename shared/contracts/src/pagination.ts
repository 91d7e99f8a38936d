import { type Static, type TInteger, type TObject, type TOptional, type TString, type TUnsafe, Type } from 'typebox';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;
/** Past this, offset paging is the wrong tool (use the cursor); it also keeps OFFSET inside bigint. */
export const MAX_PAGE_OFFSET = 10_000_000;
/** Longest `q` a list searches for. */
export const MAX_SEARCH_LENGTH = 100;

/** What one list supports beyond `offset`, `limit` and `cursor`, which every list has. */
export interface ListFeatures<Sort extends string, Search extends boolean> {
  /** Fields `sort` may name (`field` ascending, `-field` descending); the first page's order needs one. */
  sort: readonly [Sort, ...Sort[]];
  /** Whether `q` (a case-insensitive substring, wildcards literal) filters the list. */
  search?: Search;
}

type PageProperties<Sort extends string> = {
  offset: TInteger;
  limit: TInteger;
  cursor: TOptional<TString>;
  sort: TOptional<TUnsafe<Sort | `-${Sort}`>>;
};
type SearchProperty = { q: TOptional<TString> };

export type ListQuerySchema<Sort extends string, Search extends boolean> = TObject<
  Search extends true ? PageProperties<Sort> & SearchProperty : PageProperties<Sort>
>;

/**
 * The query of one list: exactly the fields it honours. Anything else, `q` on a list without
 * search included, is refused with 400 naming the field (additionalProperties false).
 */
export function listQuerySchema<const Sort extends string, const Search extends boolean = false>(
  features: ListFeatures<Sort, Search>,
): ListQuerySchema<Sort, Search> {
  const properties = {
    offset: Type.Integer({ minimum: 0, maximum: MAX_PAGE_OFFSET, default: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    sort: Type.Optional(
      Type.Unsafe<Sort | `-${Sort}`>({
        type: 'string',
        enum: features.sort.flatMap((field) => [field, `-${field}`]),
      }),
    ),
    ...(features.search ? { q: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SEARCH_LENGTH })) } : {}),
  };
  return Type.Object(properties, { additionalProperties: false }) as unknown as ListQuerySchema<Sort, Search>;
}

/** Every query field a list may accept; a given list's schema declares a subset. */
export type ListQuery = Static<ListQuerySchema<string, true>>;
